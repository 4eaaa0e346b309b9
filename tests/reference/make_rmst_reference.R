# Reference values for issue 19 (items 3-4): RMST, Kaplan-Meier conf.type logit/arcsin/none,
# survdiff(rho =), chisq.test(correct = TRUE) and fisher.test (2x2: conditional MLE odds ratio,
# CI, alternatives). Checked by tests/test_rmst_and_options.py.
#
# Usage (from the repository root or from tests/reference/):
#   Rscript tests/reference/make_rmst_reference.R
#
# Reads lung.csv, veteran.csv (written by make_reference.R from survival::lung / veteran) and
# captem_synthetic.csv (through rmst_captem_input.csv, see below). Writes rmst_reference.csv, long format with columns
#   dataset, analysis, group, term, stat, value      (value printed with 17 significant digits)
# and rmst_session.csv (R, survival and stats versions).
#
# RMST: per group rmean and se(rmean) from summary(survfit, rmean = tau)$table (survival's
# survmean: area under the KM curve to tau, Greenwood-based delta-method variance). survRM2 is
# not installed here, so its rmst2 contrasts are computed below from those values with its
# documented formulas (Uno et al. 2014): per-group CI rmean -/+ z se; difference with
# se = sqrt(se1^2 + se0^2); ratio and RMTL ratio on the log scale by the delta method.
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else getwd()
setwd(here)

out <- NULL
emit <- function(dataset, analysis, group, term, stat, value) {
  value <- as.numeric(value)
  n <- max(length(group), length(term), length(stat), length(value))
  out <<- rbind(out, data.frame(
    dataset = rep_len(dataset, n), analysis = rep_len(analysis, n),
    group = rep_len(as.character(group), n), term = rep_len(as.character(term), n),
    stat = rep_len(stat, n),
    value = ifelse(is.na(value), "NA", sprintf("%.17g", rep_len(value, n))),
    stringsAsFactors = FALSE
  ))
}

lung <- read.csv("lung.csv")
veteran <- read.csv("veteran.csv")
# the synthetic registry cohort is regenerated as the synthesiser evolves: the columns used here
# are kept in rmst_captem_input.csv (written from captem_synthetic.csv when it is missing:
# delete it to take a new cohort), so this reference and its test read the same data
if (!file.exists("rmst_captem_input.csv")) {
  full <- read.csv("captem_synthetic.csv", stringsAsFactors = FALSE)
  write.csv(full[, c("pfs_months", "pfs_event", "os_months", "os_event", "line_group", "center",
                     "sex", "grade34_ae", "prior_curative_surgery", "first_line")],
            "rmst_captem_input.csv", row.names = FALSE)
}
captem <- read.csv("rmst_captem_input.csv", stringsAsFactors = FALSE)
data_sets <- list(
  lung = data.frame(time = lung$time, event = as.integer(lung$status == 2), g = lung$sex,
                    s = lung$ph.ecog),
  veteran = data.frame(time = veteran$time, event = veteran$status, g = veteran$trt,
                       s = veteran$celltype),
  captem_pfs = data.frame(time = captem$pfs_months, event = captem$pfs_event,
                          g = captem$line_group, s = captem$center),
  captem_os = data.frame(time = captem$os_months, event = captem$os_event,
                         g = captem$line_group, s = captem$center)
)
# tau; "x" marks a tau beyond a group's last (censored) time: R carries S forward
taus <- list(lung = c("365", "730", "1000x"), veteran = c("90", "365", "600"),
             captem_pfs = c("6", "12", "24"), captem_os = c("24", "60", "150x"))

strip <- function(x) sub("^g=", "", x)

rmst_outputs <- function(ds, d, tau, tag) {
  z <- qnorm(0.975)
  fits <- list("(all)" = survfit(Surv(time, event) ~ 1, data = d),
               by = survfit(Surv(time, event) ~ g, data = d))
  for (f in fits) {
    tab <- summary(f, rmean = tau)$table
    if (is.null(dim(tab))) tab <- matrix(tab, nrow = 1, dimnames = list("(all)", names(tab)))
    g <- strip(rownames(tab))
    m <- tab[, "rmean"]
    se <- tab[, "se(rmean)"]
    emit(ds, "rmst", g, tag, "rmean", m)
    emit(ds, "rmst", g, tag, "se", se)
    emit(ds, "rmst", g, tag, "lower", m - z * se)
    emit(ds, "rmst", g, tag, "upper", m + z * se)
    emit(ds, "rmst", g, tag, "rmtl", tau - m)
    if (length(g) > 1) {
      for (j in 2:length(g)) {
        # survRM2::rmst2: arm 1 (group j) vs arm 0 (the first group)
        d1 <- m[j] - m[1]; s1 <- sqrt(se[j]^2 + se[1]^2)
        r <- log(m[j] / m[1]); sr <- sqrt(se[j]^2 / m[j]^2 + se[1]^2 / m[1]^2)
        l <- log((tau - m[j]) / (tau - m[1]))
        sl <- sqrt(se[j]^2 / (tau - m[j])^2 + se[1]^2 / (tau - m[1])^2)
        key <- paste0(g[j], " vs ", g[1])
        emit(ds, "rmst_contrast", key, tag, "difference", d1)
        emit(ds, "rmst_contrast", key, tag, "difference_se", s1)
        emit(ds, "rmst_contrast", key, tag, "difference_lower", d1 - z * s1)
        emit(ds, "rmst_contrast", key, tag, "difference_upper", d1 + z * s1)
        emit(ds, "rmst_contrast", key, tag, "difference_p", 2 * pnorm(-abs(d1 / s1)))
        emit(ds, "rmst_contrast", key, tag, "ratio", exp(r))
        emit(ds, "rmst_contrast", key, tag, "ratio_se", sr)
        emit(ds, "rmst_contrast", key, tag, "ratio_lower", exp(r - z * sr))
        emit(ds, "rmst_contrast", key, tag, "ratio_upper", exp(r + z * sr))
        emit(ds, "rmst_contrast", key, tag, "ratio_p", 2 * pnorm(-abs(r / sr)))
        emit(ds, "rmst_contrast", key, tag, "rmtl_ratio", exp(l))
        emit(ds, "rmst_contrast", key, tag, "rmtl_ratio_se", sl)
        emit(ds, "rmst_contrast", key, tag, "rmtl_ratio_lower", exp(l - z * sl))
        emit(ds, "rmst_contrast", key, tag, "rmtl_ratio_upper", exp(l + z * sl))
        emit(ds, "rmst_contrast", key, tag, "rmtl_ratio_p", 2 * pnorm(-abs(l / sl)))
      }
    }
  }
}

km_outputs <- function(ds, fit, ct) {
  s <- summary(fit, censored = TRUE)
  g <- if (is.null(s$strata)) rep("(all)", length(s$time)) else strip(as.character(s$strata))
  idx <- seq_along(g) - ave(seq_along(g), g, FUN = min) + 1
  for (col in c("time", "n.risk", "n.event", "surv", "std.err", "lower", "upper")) {
    if (!is.null(s[[col]])) emit(ds, paste0("km_table_", ct), g, idx, col, s[[col]])
  }
  q <- quantile(fit, probs = c(0.25, 0.5, 0.75))
  if (!is.list(q)) q <- list(quantile = q)  # conf.type = "none": quantiles only
  for (nm in c("quantile", "lower", "upper")) {
    if (is.null(q[[nm]])) next
    m <- q[[nm]]
    if (is.null(dim(m))) m <- matrix(m, nrow = 1)
    rn <- if (is.null(rownames(m))) "(all)" else strip(rownames(m))
    for (j in seq_len(ncol(m))) emit(ds, paste0("km_quantile_", ct), rn, c(0.25, 0.5, 0.75)[j], nm, m[, j])
  }
}

logrank_outputs <- function(ds, d, rho, strat) {
  sd <- if (strat) survdiff(Surv(time, event) ~ g + strata(s), data = d, rho = rho)
        else survdiff(Surv(time, event) ~ g, data = d, rho = rho)
  tag <- paste0("logrank_rho", rho, if (strat) "_strata" else "")
  g <- strip(names(sd$n))
  o <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  e <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  emit(ds, tag, g, "", "observed", o)
  emit(ds, tag, g, "", "expected", e)
  emit(ds, tag, "", "", "chisq", sd$chisq)
  emit(ds, tag, "", "", "p", sd$pvalue)
  v <- sd$var
  emit(ds, tag, rep(g, times = length(g)), rep(g, each = length(g)), "var", as.vector(v))
}

for (ds in names(data_sets)) {
  d <- data_sets[[ds]]
  for (tt in taus[[ds]]) rmst_outputs(ds, d, as.numeric(sub("x$", "", tt)), tt)
  for (ct in c("logit", "arcsin", "none")) {
    km_outputs(ds, survfit(Surv(time, event) ~ 1, data = d, conf.type = ct), ct)
    km_outputs(ds, survfit(Surv(time, event) ~ g, data = d, conf.type = ct), ct)
  }
  for (rho in c(1, 0.5, 2)) logrank_outputs(ds, d, rho, FALSE)
  logrank_outputs(ds, d, 1, TRUE)
}

# ---- edge cases (table-driven in the test) ---------------------------------------------------
edges <- list(
  no_events_group = data.frame(time = c(2, 4, 6, 8, 3, 5, 7, 9), event = c(1, 1, 0, 1, 0, 0, 0, 0),
                               g = rep(c("a", "b"), each = 4)),
  ties = data.frame(time = c(1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5),
                    event = c(1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1), g = rep(c("a", "b"), 6)),
  tau_on_event = data.frame(time = c(1, 2, 3, 4, 5, 6), event = c(1, 1, 1, 0, 1, 1),
                            g = c("a", "b", "a", "b", "a", "b")),
  curve_to_zero = data.frame(time = c(1, 2, 3, 4, 6, 8), event = c(1, 1, 1, 0, 1, 0),
                             g = c("a", "a", "a", "b", "b", "b"))
)
edge_taus <- list(no_events_group = c("5", "9"), ties = c("1", "3", "5"),
                  tau_on_event = c("1", "3", "6"), curve_to_zero = c("3", "4", "7", "8"))
# (tau below the smallest time is an error in R: "Truncation point ... < smallest survival")
for (nm in names(edges)) {
  for (tt in edge_taus[[nm]]) rmst_outputs(paste0("edge_", nm), edges[[nm]], as.numeric(tt), tt)
  for (ct in c("logit", "arcsin", "none")) {
    km_outputs(paste0("edge_", nm), survfit(Surv(time, event) ~ g, data = edges[[nm]], conf.type = ct), ct)
  }
  if (nm != "no_events_group") logrank_outputs(paste0("edge_", nm), edges[[nm]], 1, FALSE)
}

# ---- 2x2 tables: chisq.test(correct = TRUE), fisher.test ------------------------------------
tables <- list(
  lung_sex_status = table(lung$sex, lung$status),
  veteran_trt_prior = table(veteran$trt, veteran$prior),
  captem_sex_ae = table(captem$sex, captem$grade34_ae),
  captem_surgery_first = table(captem$prior_curative_surgery, captem$first_line),
  t_small = matrix(c(3, 1, 1, 3), 2),
  t_zero_cell = matrix(c(10, 3, 0, 8), 2),
  t_strong = matrix(c(1, 30, 20, 2), 2),
  t_yates_small = matrix(c(2, 3, 3, 2), 2),
  t_balanced = matrix(c(5, 5, 5, 5), 2),
  t_large = matrix(c(120, 80, 95, 140), 2)
)
for (nm in names(tables)) {
  x <- unclass(tables[[nm]])
  emit("tables", "table", nm, "", "cell", as.vector(x))
  ct <- suppressWarnings(chisq.test(x, correct = TRUE))
  emit("tables", "chisq_yates", nm, "", "statistic", ct$statistic)
  emit("tables", "chisq_yates", nm, "", "p", ct$p.value)
  for (alt in c("two.sided", "less", "greater")) {
    for (lev in c(0.95, 0.9)) {
      f <- fisher.test(x, alternative = alt, conf.level = lev)
      term <- paste0(alt, "@", lev)
      emit("tables", "fisher", nm, term, "p", f$p.value)
      emit("tables", "fisher", nm, term, "estimate", f$estimate)
      emit("tables", "fisher", nm, term, "lower", f$conf.int[1])
      emit("tables", "fisher", nm, term, "upper", f$conf.int[2])
    }
  }
  for (or in c(2, 0, Inf)) for (alt in c("two.sided", "less", "greater")) {
    f <- fisher.test(x, or = or, alternative = alt)
    emit("tables", "fisher", nm, paste0(alt, "@or", or), "p", f$p.value)
  }
}

write.csv(out, "rmst_reference.csv", row.names = FALSE)
write.csv(data.frame(
  software = c("R", "survival", "stats"),
  version = c(R.version.string, as.character(packageVersion("survival")),
              as.character(packageVersion("stats")))
), "rmst_session.csv", row.names = FALSE)
cat("done\n")
