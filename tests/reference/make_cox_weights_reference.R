# Reference values for Cox models and Kaplan-Meier curves with case weights (issue 19, item 4):
# weighted Efron and Breslow as R's coxfit6, R's default variance (robust when the weights are
# not integers or a cluster is given), the global tests, the weighted concordance, cox.zph,
# and survfit(weights = ) with Greenwood (integer weights) or the robust variance.
#
# Usage (from the repository root or from tests/reference/):
#   Rscript tests/reference/make_cox_weights_reference.R
# Made with R 4.2.2 / survival 3.5-3; the run writes its versions to cox_weights_session.csv.
#
# Weights are a function of the row number after removing incomplete rows, so the test can
# rebuild them: fractional w = 1 + ((i - 1) %% 4) / 2, integer w = 1 + (i - 1) %% 3.
# Output: cox_weights_reference.csv, long format: model, kind, term, value (17 digits).
suppressPackageStartupMessages(library(survival))
invisible(Sys.setlocale("LC_COLLATE", "C"))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else getwd()
setwd(here)

out <- list()
put <- function(model, kind, term, value) {
  out[[length(out) + 1]] <<- data.frame(model = model, kind = kind, term = term, value = value)
}

run <- function(model, formula, data, ties = "efron", cluster = NULL) {
  fit <- if (is.null(cluster)) {
    eval(bquote(coxph(.(formula), data = .(data), weights = w, ties = .(ties), x = TRUE,
                      y = TRUE, model = TRUE)))
  } else {
    eval(bquote(coxph(.(formula), data = .(data), weights = w, ties = .(ties),
                      cluster = .(as.name(cluster)), x = TRUE, y = TRUE, model = TRUE)))
  }
  b <- coef(fit)
  put(model, "coef", names(b), unname(b))
  put(model, "se", names(b), sqrt(diag(vcov(fit))))
  naive <- if (is.null(fit$naive.var)) fit$var else fit$naive.var
  put(model, "naive_se", names(b), sqrt(diag(naive)))
  put(model, "robust", "model", as.numeric(!is.null(fit$naive.var)))
  put(model, "loglik", c("null", "model"), fit$loglik)
  put(model, "score_test", "model", fit$score)
  put(model, "wald_test", "model", fit$wald.test)
  if (!is.null(fit$rscore)) put(model, "robust_score_test", "model", fit$rscore)
  cc <- fit$concordance
  put(model, "concordance", names(cc), unname(cc))
  z <- cox.zph(fit)
  put(model, "zph_chisq", rownames(z$table), z$table[, "chisq"])
  for (k in seq_len(ncol(z$y))) put(model, "zph_y", colnames(z$y)[k], unname(z$y[, k]))
}

lung <- read.csv("lung.csv")
lung <- na.omit(lung[, c("time", "status", "ph.ecog", "sex", "age")])
lung$w <- 1 + ((seq_len(nrow(lung)) - 1) %% 4) / 2
run("lung_fractional", Surv(time, status) ~ ph.ecog + sex + age, lung)
run("lung_fractional_breslow", Surv(time, status) ~ ph.ecog + sex + age, lung, ties = "breslow")

vet <- read.csv("veteran.csv")
vet$w <- 1 + (seq_len(nrow(vet)) - 1) %% 3
run("veteran_integer", Surv(time, status) ~ karno + trt + age, vet)

cap <- read.csv("captem_synthetic.csv")
cap <- na.omit(cap[, c("os_months", "os_event", "ecog_0_1", "first_line", "age", "center")])
cap$w <- 1 + ((seq_len(nrow(cap)) - 1) %% 4) / 2
run("captem_os_cluster", Surv(os_months, os_event) ~ ecog_0_1 + first_line + age, cap,
    cluster = "center")

km <- function(model, formula, data, robust = NULL) {
  fit <- if (is.null(robust)) survfit(formula, data = data, weights = w)
         else survfit(formula, data = data, weights = w, robust = robust)
  s <- summary(fit, censored = TRUE)
  grp <- if (is.null(s$strata)) rep("(all)", length(s$time)) else sub(".*=", "", s$strata)
  for (col in c("time", "n.risk", "n.event", "surv", "std.err", "lower", "upper")) {
    put(model, paste0("km_", col), grp, s[[col]])
  }
  q <- quantile(fit, 0.5)
  put(model, "km_median", rownames(as.matrix(q$quantile)) %||% "(all)", as.numeric(q$quantile))
}
`%||%` <- function(a, b) if (is.null(a)) b else a
km("km_lung_fractional", Surv(time, status) ~ sex, lung)
km("km_lung_fractional_greenwood", Surv(time, status) ~ sex, lung, robust = FALSE)
km("km_veteran_integer", Surv(time, status) ~ trt, vet)
km("km_captem_fractional", Surv(os_months, os_event) ~ 1, cap)

res <- do.call(rbind, out)
res$value <- formatC(res$value, digits = 17, format = "g")
write.csv(res, "cox_weights_reference.csv", row.names = FALSE)
write.csv(data.frame(software = c("R", "survival"),
                     version = c(R.version.string, as.character(packageVersion("survival")))),
          "cox_weights_session.csv", row.names = FALSE)
cat("wrote cox_weights_reference.csv\n")
