# Reference values for Cox models on counting-process (start, stop] data (issue 19, item 4):
# R's agfit4 risk sets (at risk at t when start < t <= stop), with and without a cluster on the
# subject, Efron and Breslow, case weights, cox.zph, and a split data set whose fit must equal
# the unsplit one.
#
# Usage (from the repository root or from tests/reference/):
#   Rscript tests/reference/make_cox_counting_reference.R
# Made with R 4.2.2 / survival 3.5-3; the run writes its versions to cox_counting_session.csv.
#
# Data: heart.csv (survival's Stanford heart transplant data, written here), lung split at
# 180 and 365 days (lung_split.csv) and the synthetic cohort split at 6, 12 and 24 months
# with survSplit (captem_split.csv, written).
# Output: cox_counting_reference.csv, long format: model, kind, term, value (17 digits).
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else getwd()
setwd(here)

out <- list()
put <- function(model, kind, term, value) {
  out[[length(out) + 1]] <<- data.frame(model = model, kind = kind, term = term, value = value)
}

run <- function(model, formula, data, ties = "efron", cluster = NULL, weighted = FALSE) {
  fit <- if (weighted) {
    eval(bquote(coxph(.(formula), data = .(data), ties = .(ties), weights = w)))
  } else if (is.null(cluster)) {
    eval(bquote(coxph(.(formula), data = .(data), ties = .(ties))))
  } else {
    eval(bquote(coxph(.(formula), data = .(data), ties = .(ties),
                      cluster = .(as.name(cluster)))))
  }
  b <- coef(fit)
  put(model, "coef", names(b), unname(b))
  put(model, "se", names(b), sqrt(diag(vcov(fit))))
  naive <- if (is.null(fit$naive.var)) fit$var else fit$naive.var
  put(model, "naive_se", names(b), sqrt(diag(naive)))
  put(model, "loglik", c("null", "model"), fit$loglik)
  put(model, "score_test", "model", fit$score)
  put(model, "wald_test", "model", fit$wald.test)
  if (!is.null(fit$rscore)) put(model, "robust_score_test", "model", fit$rscore)
  cc <- fit$concordance
  put(model, "concordance", names(cc), unname(cc))
  for (tr in c("km", "rank", "identity")) {
    z <- cox.zph(fit, transform = tr)
    put(model, paste0("zph_", tr), rownames(z$table), z$table[, "chisq"])
  }
}

hrt <- heart
hrt$surgery <- as.numeric(hrt$surgery)
hrt$transplant <- as.numeric(as.character(hrt$transplant))
write.csv(hrt, "heart.csv", row.names = FALSE)  # written before the weights are added
run("heart", Surv(start, stop, event) ~ age + year + surgery + transplant, hrt)
run("heart_breslow", Surv(start, stop, event) ~ age + year + surgery + transplant, hrt,
    ties = "breslow")
run("heart_cluster", Surv(start, stop, event) ~ age + year + surgery + transplant, hrt,
    cluster = "id")
hrt$w <- 1 + ((seq_len(nrow(hrt)) - 1) %% 4) / 2  # fractional: R makes the variance robust
run("heart_weighted", Surv(start, stop, event) ~ age + year + surgery + transplant, hrt,
    weighted = TRUE)

lung <- read.csv("lung.csv")
lung <- na.omit(lung[, c("time", "status", "ph.ecog", "sex", "age")])
lung$id <- seq_len(nrow(lung))
lsplit <- survSplit(Surv(time, status) ~ ., data = lung, cut = c(180, 365),
                    start = "tstart", end = "tstop", event = "status")
write.csv(lsplit, "lung_split.csv", row.names = FALSE)
run("lung_split", Surv(tstart, tstop, status) ~ ph.ecog + sex + age, lsplit, cluster = "id")

cap <- read.csv("captem_synthetic.csv")
cap <- na.omit(cap[, c("pfs_months", "pfs_event", "ecog_0_1", "first_line", "age", "center")])
cap$id <- seq_len(nrow(cap))
split <- survSplit(Surv(pfs_months, pfs_event) ~ ., data = cap, cut = c(6, 12, 24),
                   start = "tstart", end = "tstop", event = "pfs_event")
write.csv(split, "captem_split.csv", row.names = FALSE)
run("captem_split", Surv(tstart, tstop, pfs_event) ~ ecog_0_1 + first_line + age, split,
    cluster = "id")

res <- do.call(rbind, out)
res$value <- formatC(res$value, digits = 17, format = "g")
write.csv(res, "cox_counting_reference.csv", row.names = FALSE)
write.csv(data.frame(software = c("R", "survival"),
                     version = c(R.version.string, as.character(packageVersion("survival")))),
          "cox_counting_session.csv", row.names = FALSE)
cat("wrote cox_counting_reference.csv\n")
