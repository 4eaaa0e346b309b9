# Reference values from R's survival package for captemstats' test suite.
#
# Usage (from the repository root or from tests/reference/):
#   Rscript tests/reference/make_reference.R
#
# The datasets and the analyses run on each are listed in datasets.csv (one row per dataset),
# so adding a dataset (e.g. the synthetic registry) is one more row:
#   name         short name; outputs go to <name>.csv (data) and <name>_reference.csv (values)
#   source       R expression giving the data frame; empty = read <name>.csv from this folder
#   time, event  survival time column and event column; event_value = code meaning "event"
#   group        grouping column for Kaplan-Meier and the log-rank test
#   trend_group  ordered numeric column for the log-rank test for trend (scores = its values)
#   strata       stratification column for the stratified log-rank test
#   covariates   ';'-separated Cox covariates: a numeric column `col`, or an indicator
#                `col[l1,l2|r1,r2]` (1 if col in l1,l2; 0 if in r1,r2; NA otherwise) or
#                `col[l1,l2]` (1 if in l1,l2; 0 for any other non-missing value)
#   cluster      column for the cluster-robust (sandwich) Cox variance, coxph(cluster = )
#   cox_strata   column for the stratified Cox model, coxph(~ . + strata()); covariates on
#                the same column are dropped from that model
#   milestones   ';'-separated times for summary(survfit, times = )
#   at_risk_times ';'-separated times for numbers at risk (summary(..., extend = TRUE))
#   cat_tests    ';'-separated `row~col` pairs: chisq.test(correct = FALSE) and fisher.test
#   cont_tests   ';'-separated `value~group`: wilcox.test (2 groups) or kruskal.test
#   data         optional: read <data>.csv instead of <name>.csv (e.g. a second endpoint of
#                the same data set: captem_synthetic_os reads captem_synthetic.csv)
#
# Output: <name>_reference.csv, long format with columns
#   analysis, group, term, stat, value      (value printed with 17 significant digits)
# and session.csv recording the R and survival versions.
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else getwd()
setwd(here)

config <- read.csv("datasets.csv", colClasses = "character", na.strings = character(0))

split_list <- function(x, sep = ";") {
  if (is.na(x) || x == "") character(0) else trimws(strsplit(x, sep, fixed = TRUE)[[1]])
}
num_list <- function(x) as.numeric(split_list(x))

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

# Parse a covariate spec into (name, values) -- see header.
make_covariate <- function(d, spec) {
  m <- regmatches(spec, regexec("^([^[]+)\\[([^|]*)(\\|(.*))?\\]$", spec, perl = TRUE))[[1]]
  if (length(m) == 0) return(list(name = spec, values = as.numeric(d[[spec]])))
  col <- m[2]
  lev <- trimws(strsplit(m[3], ",", fixed = TRUE)[[1]])
  ref <- if (m[5] == "") character(0) else trimws(strsplit(m[5], ",", fixed = TRUE)[[1]])
  x <- as.character(d[[col]])
  v <- ifelse(is.na(x), NA_real_, ifelse(x %in% lev, 1, if (length(ref)) ifelse(x %in% ref, 0, NA_real_) else 0))
  list(name = spec, values = v)
}

km_outputs <- function(fit, conf_label, groups) {
  s <- summary(fit, censored = TRUE)
  # survfit table (all distinct times, censored included)
  g <- if (is.null(s$strata)) rep("(all)", length(s$time)) else sub("^g=", "", as.character(s$strata))
  tag <- paste0("km_table_", conf_label)
  for (col in c("time", "n.risk", "n.event", "n.censor", "surv", "std.err", "lower", "upper")) {
    emit(tag, g, seq_along(g) - ave(seq_along(g), g, FUN = min) + 1, col, s[[col]])
  }
  q <- quantile(fit, probs = c(0.25, 0.5, 0.75))
  for (nm in c("quantile", "lower", "upper")) {
    m <- q[[nm]]
    if (is.null(dim(m))) m <- matrix(m, nrow = 1)
    rn <- if (is.null(rownames(m))) "(all)" else sub("^g=", "", rownames(m))
    for (j in seq_len(ncol(m))) {
      emit(paste0("km_quantile_", conf_label), rn, c(0.25, 0.5, 0.75)[j], nm, m[, j])
    }
  }
}

for (k in seq_len(nrow(config))) {
  cfg <- config[k, ]
  out <- NULL
  name <- cfg$name
  if (cfg$source != "") {
    d <- eval(parse(text = cfg$source))
    write.csv(d, paste0(name, ".csv"), row.names = FALSE, na = "")
  }
  file <- if (!is.null(cfg$data) && cfg$data != "") cfg$data else name
  d <- read.csv(paste0(file, ".csv"), stringsAsFactors = FALSE)
  d$.time <- d[[cfg$time]]
  d$.event <- as.integer(d[[cfg$event]] == as.numeric(cfg$event_value))
  has_group <- cfg$group != ""
  if (has_group) d$g <- d[[cfg$group]]

  # ---- Kaplan-Meier -------------------------------------------------------------------------
  for (ct in c("log", "plain", "log-log")) {
    f_all <- survfit(Surv(.time, .event) ~ 1, data = d, conf.type = ct)
    km_outputs(f_all, ct, "(all)")
    if (has_group) km_outputs(survfit(Surv(.time, .event) ~ g, data = d, conf.type = ct), ct)
  }
  fits <- list("(all)" = survfit(Surv(.time, .event) ~ 1, data = d))
  if (has_group) fits$by <- survfit(Surv(.time, .event) ~ g, data = d)
  for (f in fits) {
    ms <- summary(f, times = num_list(cfg$milestones))
    g <- if (is.null(ms$strata)) rep("(all)", length(ms$time)) else sub("^g=", "", as.character(ms$strata))
    for (col in c("n.risk", "n.event", "surv", "std.err", "lower", "upper")) {
      emit("km_milestone", g, ms$time, col, ms[[col]])
    }
    ar <- summary(f, times = num_list(cfg$at_risk_times), extend = TRUE)
    g <- if (is.null(ar$strata)) rep("(all)", length(ar$time)) else sub("^g=", "", as.character(ar$strata))
    emit("km_at_risk", g, ar$time, "n.risk", ar$n.risk)
  }

  # ---- follow-up ----------------------------------------------------------------------------
  # Reverse Kaplan-Meier (censoring as the event): median and CI by quantile.survfit; observed
  # follow-up: median and range of the times.
  rfits <- list("(all)" = survfit(Surv(.time, 1 - .event) ~ 1, data = d))
  if (has_group) rfits$by <- survfit(Surv(.time, 1 - .event) ~ g, data = d)
  for (f in rfits) {
    q <- quantile(f, probs = 0.5)
    for (nm in c("quantile", "lower", "upper")) {
      m <- q[[nm]]
      if (is.null(dim(m))) m <- matrix(m, nrow = 1)
      rn <- if (is.null(rownames(m))) "(all)" else sub("^g=", "", rownames(m))
      emit("followup_reverse_km", rn, 0.5, nm, m[, 1])
    }
  }
  ogroups <- list("(all)" = rep(TRUE, nrow(d)))
  if (has_group) for (lv in sort(unique(d$g))) ogroups[[as.character(lv)]] <- d$g == lv
  for (nm in names(ogroups)) {
    sel <- ogroups[[nm]] & !is.na(ogroups[[nm]])
    emit("followup_observed", nm, "", "median", median(d$.time[sel]))
    emit("followup_observed", nm, "", "min", min(d$.time[sel]))
    emit("followup_observed", nm, "", "max", max(d$.time[sel]))
    emit("followup_observed", nm, "", "n", sum(sel))
  }

  # ---- log-rank ---------------------------------------------------------------------------
  if (has_group) {
    sd <- survdiff(Surv(.time, .event) ~ g, data = d)
    lv <- sub("^g=", "", names(sd$n))
    emit("logrank", "", "", "chisq", sd$chisq)
    emit("logrank", "", "", "df", sum(sd$exp > 0) - 1)
    emit("logrank", "", "", "p", sd$pvalue)
    emit("logrank", lv, "", "observed", sd$obs)
    emit("logrank", lv, "", "expected", sd$exp)
    if (cfg$strata != "") {
      d$s <- d[[cfg$strata]]
      ss <- survdiff(Surv(.time, .event) ~ g + strata(s), data = d)
      emit("logrank_strat", "", "", "chisq", ss$chisq)
      emit("logrank_strat", "", "", "p", ss$pvalue)
      emit("logrank_strat", lv, "", "observed", rowSums(ss$obs))
      emit("logrank_strat", lv, "", "expected", rowSums(ss$exp))
    }
  }
  if (cfg$trend_group != "") {
    # Test for trend (Collett 2015, §2.6.4; Stata `sts test, trend`): U = sum s_j (O_j - E_j),
    # V = s' Var s, chisq = U^2 / V on 1 df, scores s = the group's numeric values.
    d$tg <- d[[cfg$trend_group]]
    st <- survdiff(Surv(.time, .event) ~ tg, data = d)
    sc <- as.numeric(sub("^tg=", "", names(st$n)))
    u <- sum(sc * (st$obs - st$exp))
    v <- drop(t(sc) %*% st$var %*% sc)
    emit("logrank_trend", "", "", "chisq", u^2 / v)
    emit("logrank_trend", "", "", "p", pchisq(u^2 / v, 1, lower.tail = FALSE))
    emit("logrank_trend", "", "", "U", u)
    emit("logrank_trend", "", "", "var", v)
    emit("logrank_trend", as.character(sc), "", "observed", st$obs)
    emit("logrank_trend", as.character(sc), "", "expected", st$exp)
  }

  # ---- Cox ----------------------------------------------------------------------------------
  specs <- split_list(cfg$covariates)
  if (length(specs)) {
    xs <- lapply(specs, function(s) make_covariate(d, s))
    X <- as.data.frame(lapply(xs, `[[`, "values"))
    names(X) <- paste0("x", seq_along(xs))
    cd <- cbind(d[, c(".time", ".event")], X)
    if (cfg$cluster != "") cd$cl <- d[[cfg$cluster]]
    if (cfg$cox_strata != "") cd$st <- d[[cfg$cox_strata]]
    emit_cox <- function(tag, fit, terms) {
      sm <- summary(fit)
      co <- sm$coefficients
      ci <- sm$conf.int
      emit(tag, "", terms, "coef", co[, "coef"])
      emit(tag, "", terms, "hr", co[, "exp(coef)"])
      emit(tag, "", terms, "se", co[, "se(coef)"])
      if ("robust se" %in% colnames(co)) emit(tag, "", terms, "robust_se", co[, "robust se"])
      emit(tag, "", terms, "z", co[, "z"])
      emit(tag, "", terms, "p", co[, "Pr(>|z|)"])
      emit(tag, "", terms, "lower", ci[, "lower .95"])
      emit(tag, "", terms, "upper", ci[, "upper .95"])
      emit(tag, "", "", "loglik_null", fit$loglik[1])
      emit(tag, "", "", "loglik", fit$loglik[2])
      emit(tag, "", "", "lr_chisq", sm$logtest["test"])
      emit(tag, "", "", "lr_df", sm$logtest["df"])
      emit(tag, "", "", "lr_p", sm$logtest["pvalue"])
      # summary() rounds the Wald statistic; take the unrounded values from the fit
      emit(tag, "", "", "wald_chisq", fit$wald.test)
      emit(tag, "", "", "wald_p", pchisq(fit$wald.test, length(terms), lower.tail = FALSE))
      emit(tag, "", "", "score_chisq", fit$score)
      if (!is.null(fit$rscore)) emit(tag, "", "", "robust_score_chisq", fit$rscore)
      emit(tag, "", "", "concordance", fit$concordance["concordance"])
      emit(tag, "", c("concordant", "discordant", "tied.x", "tied.y"), "count",
           fit$concordance[c("concordant", "discordant", "tied.x", "tied.y")])
      emit(tag, "", "", "n", fit$n)
      emit(tag, "", "", "n_events", fit$nevent)
      emit(tag, "", "", "iter", fit$iter)
    }
    emit_zph <- function(tag, fit, terms, transform = "km") {
      z <- cox.zph(fit, transform = transform)
      tb <- z$table
      emit(tag, "", c(terms, "GLOBAL"), "chisq", tb[, "chisq"])
      emit(tag, "", c(terms, "GLOBAL"), "df", tb[, "df"])
      emit(tag, "", c(terms, "GLOBAL"), "p", tb[, "p"])
    }
    # Scaled Schoenfeld residuals (zph$y, one row per death sorted by stratum and time), the
    # transformed times (zph$x) and the event times; group = death index (1-based).
    emit_zph_resid <- function(tag, fit, terms) {
      z <- cox.zph(fit, transform = "km")
      i <- seq_along(z$time)
      emit(tag, i, "", "time", z$time)
      emit(tag, i, "", "x", z$x)
      for (j in seq_along(terms)) emit(tag, i, terms[j], "y", z$y[, j])
      for (j in seq_along(terms)) emit(tag, "", terms[j], "var_diag", diag(z$var)[j])
    }
    rhs <- paste(names(X), collapse = " + ")
    f <- as.formula(paste("Surv(.time, .event) ~", rhs))
    fit <- coxph(f, data = cd, ties = "efron")
    emit_cox("cox_efron", fit, specs)
    emit_zph("zph_efron", fit, specs)
    emit_zph("zph_efron_rank", fit, specs, "rank")
    emit_zph("zph_efron_identity", fit, specs, "identity")
    emit_zph_resid("zph_efron_resid", fit, specs)
    fitb <- coxph(f, data = cd, ties = "breslow")
    emit_cox("cox_breslow", fitb, specs)
    emit_zph("zph_breslow", fitb, specs)
    for (j in seq_along(specs)) {
      fj <- coxph(as.formula(paste("Surv(.time, .event) ~", names(X)[j])), data = cd)
      emit_cox(paste0("cox_uni_", j), fj, specs[j])
    }
    if (cfg$cluster != "") {
      fc <- coxph(f, data = cd, cluster = cl)
      emit_cox("cox_cluster", fc, specs)
    }
    if (cfg$cox_strata != "") {
      keep <- !sub("\\[.*$", "", specs) %in% cfg$cox_strata
      fs <- coxph(as.formula(paste("Surv(.time, .event) ~",
                                   paste(names(X)[keep], collapse = " + "), "+ strata(st)")),
                  data = cd)
      emit_cox("cox_strata", fs, specs[keep])
      emit_zph("zph_strata", fs, specs[keep])
      emit_zph_resid("zph_strata_resid", fs, specs[keep])
    }
  }

  # ---- group comparisons --------------------------------------------------------------------
  for (pair in split_list(cfg$cat_tests)) {
    v <- strsplit(pair, "~", fixed = TRUE)[[1]]
    tab <- table(d[[v[1]]], d[[v[2]]])
    ch <- suppressWarnings(chisq.test(tab, correct = FALSE))
    emit("chisq", pair, "", "statistic", ch$statistic)
    emit("chisq", pair, "", "df", ch$parameter)
    emit("chisq", pair, "", "p", ch$p.value)
    emit("chisq", pair, "", "expected_min", min(ch$expected))
    fp <- tryCatch(fisher.test(tab, workspace = 2e8)$p.value, error = function(e) NA)
    emit("fisher", pair, "", "p", fp)
  }
  for (pair in split_list(cfg$cont_tests)) {
    v <- strsplit(pair, "~", fixed = TRUE)[[1]]
    y <- d[[v[1]]]
    gg <- d[[v[2]]]
    ok <- !is.na(y) & !is.na(gg)
    if (length(unique(gg[ok])) == 2) {
      gl <- sort(unique(gg[ok]))
      w <- suppressWarnings(wilcox.test(y[ok & gg == gl[1]], y[ok & gg == gl[2]]))
      emit("wilcoxon", pair, "", "statistic", w$statistic)
      emit("wilcoxon", pair, "", "p", w$p.value)
    } else {
      kw <- kruskal.test(y[ok], factor(gg[ok]))
      emit("kruskal", pair, "", "statistic", kw$statistic)
      emit("kruskal", pair, "", "df", kw$parameter)
      emit("kruskal", pair, "", "p", kw$p.value)
    }
  }
  write.csv(out, paste0(name, "_reference.csv"), row.names = FALSE)
  cat("wrote", paste0(name, "_reference.csv"), nrow(out), "values\n")
}

# ---- small-sample comparisons (exact paths) ----------------------------------------------------
out <- NULL
tables <- list(
  t2x2 = matrix(c(3, 1, 1, 3), 2),
  t2x2b = matrix(c(10, 2, 3, 15), 2),
  t2x3 = matrix(c(2, 5, 3, 1, 4, 0), 2),
  t3x3 = matrix(c(3, 1, 0, 2, 4, 1, 0, 2, 5), 3),
  t3x4 = matrix(c(4, 0, 1, 2, 3, 1, 0, 5, 2, 1, 1, 3), 3)
)
for (nm in names(tables)) {
  tab <- tables[[nm]]
  emit("table", nm, "", "dim", dim(tab))
  emit("table", nm, "", "cells", as.vector(t(tab)))  # row-major
  ch <- suppressWarnings(chisq.test(tab, correct = FALSE))
  emit("chisq", nm, "", "statistic", ch$statistic)
  emit("chisq", nm, "", "p", ch$p.value)
  emit("fisher", nm, "", "p", fisher.test(tab)$p.value)
}
xs <- list(a = c(1.1, 2.3, 0.7, 4.2, 3.3, 5.1), b = c(6.2, 2.9, 7.7, 8.4, 5.6, 9.9, 4.8))
w <- wilcox.test(xs$a, xs$b)
emit("wilcoxon_exact", "a~b", "", "statistic", w$statistic)
emit("wilcoxon_exact", "a~b", "", "p", w$p.value)
emit("values", "a", seq_along(xs$a), "x", xs$a)
emit("values", "b", seq_along(xs$b), "x", xs$b)
write.csv(out, "small_reference.csv", row.names = FALSE)

# ---- Kaplan-Meier edge cases --------------------------------------------------------------------
# Small curves that exercise quantile.survfit's midpoint rule, NA confidence limits where S = 0,
# and medians not reached. survival_edge_reference.csv: "edge_data" rows give each case's
# time and event vectors (group = case, term = index), then its survfit table and quantiles.
out <- NULL
edge <- list(
  flat_half = list(time = c(1, 2, 3, 4), event = c(1, 1, 1, 1)),
  flat_half_censored = list(time = c(1, 2, 3, 4, 5, 6), event = c(1, 0, 1, 1, 0, 1)),
  half_at_last = list(time = c(1, 2), event = c(1, 0)),
  last_event = list(time = c(1, 2, 3), event = c(0, 1, 1)),
  all_censored = list(time = c(2, 4, 6, 8), event = c(0, 0, 0, 0)),
  ties_mixed = list(time = c(2, 2, 2, 3, 3, 5, 5, 5, 8, 9), event = c(1, 1, 0, 1, 0, 1, 1, 0, 0, 1)),
  single_event = list(time = c(5), event = c(1))
)
for (nm in names(edge)) {
  e <- edge[[nm]]
  emit("edge_data", nm, seq_along(e$time), "time", e$time)
  emit("edge_data", nm, seq_along(e$time), "event", e$event)
  for (ct in c("log", "plain", "log-log")) {
    f <- survfit(Surv(e$time, e$event) ~ 1, conf.type = ct)
    s <- summary(f, censored = TRUE)
    for (col in c("time", "n.risk", "n.event", "surv", "std.err", "lower", "upper")) {
      emit(paste0("edge_table_", ct), nm, seq_along(s$time), col, s[[col]])
    }
    q <- quantile(f, probs = c(0.25, 0.5, 0.75))
    for (qn in c("quantile", "lower", "upper")) {
      emit(paste0("edge_quantile_", ct), nm, c(0.25, 0.5, 0.75), qn, q[[qn]])
    }
  }
}
write.csv(out, "survival_edge_reference.csv", row.names = FALSE)

write.csv(data.frame(
  software = c("R", "survival"),
  version = c(R.version.string, as.character(packageVersion("survival")))
), "session.csv", row.names = FALSE)
cat("done\n")
