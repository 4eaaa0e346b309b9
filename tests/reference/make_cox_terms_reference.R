# Reference values for Cox models with multi-level factor terms (issue 19, item 4): the
# coefficients, the joint Wald test of each term (b' solve(vcov[J, J]) b, robust with a
# cluster), the drop-one likelihood-ratio test (drop1(fit, test = "Chisq")) and cox.zph with
# terms = TRUE (a factor tested jointly, its residual combined) and terms = FALSE.
#
# Usage (from the repository root or from tests/reference/):
#   Rscript tests/reference/make_cox_terms_reference.R
# Made with R 4.2.2 / survival 3.5-3; the run writes its versions to cox_terms_session.csv.
#
# Data: veteran.csv and lung.csv (survival's datasets, as exported by make_reference.R) and
# captem_synthetic.csv (the synthetic registry's cohort). Character columns become factors
# with levels sorted in the C locale, the byte order Python's sort uses.
# Output: cox_terms_reference.csv, long format: model, kind, term, index, value (17 digits).
suppressPackageStartupMessages(library(survival))
invisible(Sys.setlocale("LC_COLLATE", "C"))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else getwd()
setwd(here)

out <- list()
put <- function(model, kind, term, value, index = NA) {
  out[[length(out) + 1]] <<- data.frame(model = model, kind = kind, term = term,
                                        index = index, value = value)
}

run <- function(model, formula, data, cluster = NULL, ties = "efron") {
  # the calls hold the objects themselves (bquote), and x/y/model stay in the fit, so that
  # cox.zph and drop1's update() never re-evaluate names local to this function
  fit <- if (is.null(cluster)) {
    eval(bquote(coxph(.(formula), data = .(data), ties = .(ties), x = TRUE, y = TRUE,
                      model = TRUE)))
  } else {
    eval(bquote(coxph(.(formula), data = .(data), ties = .(ties), cluster = .(as.name(cluster)),
                      x = TRUE, y = TRUE, model = TRUE)))
  }
  b <- coef(fit)
  put(model, "coef", names(b), unname(b))
  put(model, "se", names(b), sqrt(diag(vcov(fit))))
  put(model, "loglik", "model", fit$loglik[2])
  for (label in names(fit$assign)) {
    j <- fit$assign[[label]]
    w <- drop(t(b[j]) %*% solve(vcov(fit)[j, j, drop = FALSE], b[j]))
    put(model, "wald", label, w)
    put(model, "wald_df", label, length(j))
  }
  # drop1 refits without each term on the same rows (the data have no missing values here)
  refit <- eval(bquote(coxph(.(formula), data = .(data), ties = .(ties))))
  d1 <- drop1(refit, test = "Chisq")
  put(model, "lr", rownames(d1)[-1], d1$LRT[-1])
  for (terms_flag in c(TRUE, FALSE)) {
    z <- cox.zph(fit, terms = terms_flag)
    tag <- if (terms_flag) "zph_terms" else "zph_columns"
    put(model, paste0(tag, "_chisq"), rownames(z$table), z$table[, "chisq"])
    put(model, paste0(tag, "_df"), rownames(z$table), z$table[, "df"])
    for (k in seq_len(ncol(z$y))) {
      put(model, paste0(tag, "_y"), colnames(z$y)[k], unname(z$y[, k]), seq_len(nrow(z$y)))
    }
  }
}

vet <- read.csv("veteran.csv")
run("veteran", Surv(time, status) ~ celltype + karno + trt, vet)

lung <- read.csv("lung.csv")
lung <- na.omit(lung[, c("time", "status", "ph.ecog", "sex", "age")])
lung$ph.ecog <- factor(lung$ph.ecog)
run("lung", Surv(time, status) ~ ph.ecog + sex + age, lung)
run("lung_breslow", Surv(time, status) ~ ph.ecog + sex + age, lung, ties = "breslow")

cap <- read.csv("captem_synthetic.csv")
cap <- na.omit(cap[, c("pfs_months", "pfs_event", "grade", "primary_site", "ecog_0_1",
                       "center")])
run("captem_pfs", Surv(pfs_months, pfs_event) ~ grade + primary_site + ecog_0_1, cap,
    cluster = "center")

res <- do.call(rbind, out)
res$value <- formatC(res$value, digits = 17, format = "g")
write.csv(res, "cox_terms_reference.csv", row.names = FALSE)
write.csv(data.frame(software = c("R", "survival"),
                     version = c(R.version.string, as.character(packageVersion("survival")))),
          "cox_terms_session.csv", row.names = FALSE)
cat("wrote cox_terms_reference.csv\n")
