# Reference values for the study analysis of the shipped synthetic registry, from R.
#
# Usage (from the repository root, after `python3 tasks.py test` has made .venv):
#   .venv/bin/python tests/reference/export_synthetic.py   # captem_synthetic.csv (the cohort)
#   Rscript tests/reference/make_registry_reference.R
# Made with R 4.2.2 / survival 3.5-3; a run writes its versions to registry_session.csv.
#
# Reads captem_synthetic.csv (the analysis cohort of analyze("data/registry"), exported without
# identifiers or dates) and computes what captemstats.analysis.analyze reports, as the paper
# (and the analysis) define it; tests/test_reference_registry.py compares the two:
#   km_<pfs|os>        Kaplan-Meier n, events, median and 95% CI (log, quantile.survfit) overall
#                      (group "(all)") and by line_group, grade, ki67_group, primary_site
#                      (term = grouping); the "unknown" grade and Ki-67 levels are left out, as
#                      analysis.GROUPING_EXCLUDED_LEVELS does
#   logrank_<pfs|os>   survdiff chisq, df, p per grouping (group = grouping)
#   cox_<e>, cox_cluster_<e>, cox_uni_<e>
#                      Table 3 Cox models (Efron ties): multivariable, multivariable with
#                      cluster = center (robust variance), and each term alone; terms named as
#                      captemstats.published (sex_male, age_le50, ...)
#   zph_<e>            cox.zph(transform = "km") of the multivariable model: per term, GLOBAL
#   followup_reverse_km  reverse Kaplan-Meier median of OS time (censoring as the event)
#   table1             Table 1 by line_group with gtsummary's add_p() default: kruskal.test for
#                      continuous variables; chisq.test(correct = FALSE) when every expected
#                      count is >= 5, else fisher.test (workspace large enough to be exact);
#                      group = variable, term = the test chosen
#
# Output: registry_reference.csv, long format analysis, group, term, stat, value (value printed
# with 17 significant digits, NA for missing).
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else getwd()
setwd(here)

d <- read.csv("captem_synthetic.csv", stringsAsFactors = FALSE)
d$sex_male <- ifelse(is.na(d$sex), NA_integer_, as.integer(d$sex == "male"))

out <- NULL
emit <- function(analysis, group, term, stat, value) {
  value <- as.numeric(value)
  n <- max(length(group), length(term), length(stat), length(value))
  out <<- rbind(out, data.frame(
    analysis = rep_len(analysis, n), group = rep_len(as.character(group), n),
    term = rep_len(as.character(term), n), stat = rep_len(stat, n),
    value = ifelse(is.na(value), "NA", sprintf("%.17g", rep_len(value, n))),
    stringsAsFactors = FALSE
  ))
}

endpoints <- list(pfs = c("pfs_months", "pfs_event"), os = c("os_months", "os_event"))
groupings <- c("line_group", "grade", "ki67_group", "primary_site")
excluded <- list(grade = "unknown", ki67_group = "unknown")
# Table 3 terms in the paper's order (captemstats.analysis.table3_covariates)
terms <- c("sex_male", "age_le50", "comorbidity", "ecog_0_1", "pancreas", "ki67_le20",
           "grade_1_2", "first_line", "prior_curative_surgery")

for (e in names(endpoints)) {
  d$.time <- d[[endpoints[[e]][1]]]
  d$.event <- d[[endpoints[[e]][2]]]

  # ---- Kaplan-Meier medians and log-rank tests --------------------------------------------
  km_tag <- paste0("km_", e)
  f <- survfit(Surv(.time, .event) ~ 1, data = d)
  q <- quantile(f, probs = 0.5)
  emit(km_tag, "(all)", "all", c("n", "events", "median", "lower", "upper"),
       c(f$n, sum(f$n.event), q$quantile, q$lower, q$upper))
  for (g in groupings) {
    sub <- d[!is.na(d[[g]]) & !(d[[g]] %in% excluded[[g]]), ]
    sub$g <- sub[[g]]
    f <- survfit(Surv(.time, .event) ~ g, data = sub)
    q <- quantile(f, probs = 0.5)
    lv <- sub("^g=", "", names(f$strata))
    events <- tapply(sub$.event, sub$g, sum)[lv]
    emit(km_tag, lv, g, "n", f$n)
    emit(km_tag, lv, g, "events", events)
    emit(km_tag, lv, g, "median", q$quantile)
    emit(km_tag, lv, g, "lower", q$lower)
    emit(km_tag, lv, g, "upper", q$upper)
    sd <- survdiff(Surv(.time, .event) ~ g, data = sub)
    emit(paste0("logrank_", e), g, "", c("chisq", "df", "p"),
         c(sd$chisq, sum(sd$exp > 0) - 1, sd$pvalue))
  }

  # ---- Table 3 Cox models ------------------------------------------------------------------
  emit_cox <- function(tag, fit, tnames) {
    co <- summary(fit)$coefficients
    ci <- summary(fit)$conf.int
    emit(tag, "", tnames, "coef", co[, "coef"])
    emit(tag, "", tnames, "hr", co[, "exp(coef)"])
    emit(tag, "", tnames, "se", co[, "se(coef)"])
    if ("robust se" %in% colnames(co)) emit(tag, "", tnames, "robust_se", co[, "robust se"])
    emit(tag, "", tnames, "z", co[, "z"])
    emit(tag, "", tnames, "p", co[, "Pr(>|z|)"])
    emit(tag, "", tnames, "lower", ci[, "lower .95"])
    emit(tag, "", tnames, "upper", ci[, "upper .95"])
  }
  emit_size <- function(tag, fit, term = "") {
    emit(tag, "", term, "n", fit$n)
    emit(tag, "", term, "n_events", fit$nevent)
  }
  form <- as.formula(paste("Surv(.time, .event) ~", paste(terms, collapse = " + ")))
  fit <- coxph(form, data = d, ties = "efron")
  emit_cox(paste0("cox_", e), fit, terms)
  emit_size(paste0("cox_", e), fit)
  fc <- coxph(form, data = d, ties = "efron", cluster = center)
  emit_cox(paste0("cox_cluster_", e), fc, terms)
  emit_size(paste0("cox_cluster_", e), fc)
  for (t in terms) {
    fu <- coxph(as.formula(paste("Surv(.time, .event) ~", t)), data = d, ties = "efron")
    emit_cox(paste0("cox_uni_", e), fu, t)
    emit_size(paste0("cox_uni_", e), fu, t)
  }
  z <- cox.zph(fit, transform = "km")
  tb <- z$table
  emit(paste0("zph_", e), "", rownames(tb), "chisq", tb[, "chisq"])
  emit(paste0("zph_", e), "", rownames(tb), "df", tb[, "df"])
  emit(paste0("zph_", e), "", rownames(tb), "p", tb[, "p"])
}

# ---- follow-up: reverse Kaplan-Meier of OS time --------------------------------------------
q <- quantile(survfit(Surv(os_months, 1 - os_event) ~ 1, data = d), probs = 0.5)
emit("followup_reverse_km", "(all)", "", c("median", "lower", "upper"),
     c(q$quantile, q$lower, q$upper))

# ---- Table 1 tests by line ------------------------------------------------------------------
continuous <- c("age", "cycles")
categorical <- c("age_group", "sex", "ecog", "comorbidity", "primary_site", "grade",
                 "metastatic_sites", "ki67_group", "prior_curative_surgery", "grade34_ae",
                 "drug_holiday", "dose_reduction", "treatment_interruption")
for (v in continuous) {
  ok <- !is.na(d[[v]]) & !is.na(d$line_group)
  kw <- kruskal.test(d[[v]][ok], factor(d$line_group[ok]))
  emit("table1", v, "kruskal", c("statistic", "df", "p"), c(kw$statistic, kw$parameter, kw$p.value))
}
for (v in categorical) {
  tab <- table(d[[v]], d$line_group)
  ch <- suppressWarnings(chisq.test(tab, correct = FALSE))
  if (min(ch$expected) >= 5) {
    emit("table1", v, "chisq", c("statistic", "df", "p", "expected_min"),
         c(ch$statistic, ch$parameter, ch$p.value, min(ch$expected)))
  } else {
    emit("table1", v, "fisher", c("p", "expected_min"),
         c(fisher.test(tab, workspace = 2e8)$p.value, min(ch$expected)))
  }
}

write.csv(out, "registry_reference.csv", row.names = FALSE)
# the versions behind these numbers (as make_reference.R writes session.csv)
write.csv(data.frame(software = c("R", "survival"),
                     version = c(R.version.string, as.character(packageVersion("survival")))),
          "registry_session.csv", row.names = FALSE)
cat("wrote registry_reference.csv", nrow(out), "values\n")
