# Reference values for captemstats.survival.competing (issue 19, item 2): competing risks.
#
# Usage (from the repository root or from tests/reference/):
#   Rscript tests/reference/make_competing_reference.R
# Made with R 4.2.2, survival 3.5-3 and cmprsk 2.2-11; the versions of a run are written to
# competing_session.csv.
#
# Data sets, each written as <name>.csv with columns time, status (0 = censored, 1, 2, ... =
# cause), group, strata (empty = missing):
#   mgus2_competing     survival::mgus2 as in R's "compete" vignette: time to plasma-cell
#                       malignancy (1) or death without it (2); group = sex, strata = age >= 70
#   pbc_competing       survival::pbc: transplant (1) or death (2); group = edema (0, 0.5, 1),
#                       strata = trt (missing for the 106 non-randomised patients)
#   sim_competing       simulated here (fixed seed): 4 groups, group d entirely censored,
#                       3 causes (cause 3 rare), times rounded to 0.1 (ties between causes)
#                       and events at time 0
#   captem_competing    the synthetic registry's analysis cohort (captem_synthetic.csv):
#                       PFS split into progression (1) and death without progression (2, the
#                       PFS event when OS is an event at the same time); group = line_group,
#                       strata = pancreas
#
# Output competing_reference.csv, long format: dataset, analysis, group, term, stat, value
# (value printed with 17 significant digits, NA for R's NA):
#   aj            survfit(Surv(time, factor(status)) ~ group) and ~ 1 (group "(all)"): per row
#                 (term = row number in the group) time, n.risk, n.event_<cause>, and per state
#                 (<state> = cause code or "(s0)") pstate_, std.err_, lower_, upper_ (log CI)
#   aj_ci_<type>  lower_/upper_ of the by-group fits with conf.type = plain, log-log, logit,
#                 arcsin (sim_competing and captem_competing only, to keep the file small)
#   aj_at         summary(fit, times = milestones): term = time; n.risk, pstate_, std.err_,
#                 lower_, upper_
#   cuminc        cmprsk::cuminc by group: group = "<group> <cause>", term = point number
#                 (last point of each time), stat time / est / var
#   gray          cuminc(...)$Tests: term = cause; stat, pv (cuminc's 1 - pchisq), df, and
#                 p_upper = pchisq(stat, df, lower.tail = FALSE); gray_strata with strata,
#                 gray_rho1 with rho = 1
#   crr           cmprsk::crr(time, status, cov1 = X, failcode = cause) for every cause, X the
#                 indicators of the groups but the first (column = level) and strata (rows
#                 with a missing value dropped; sim_competing without its all-censored group
#                 d, whose coefficient would diverge): group = cause, term = column; coef,
#                 se = sqrt(diag(var)), z, p_upper = 2 pnorm(-|z|); term "" loglik, converged
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else getwd()
setwd(here)

out <- NULL
emit <- function(dataset, analysis, group, term, stat, value) {
  value <- as.numeric(value)
  n <- max(length(group), length(term), length(stat), length(value))
  out <<- rbind(out, data.frame(
    dataset = dataset, analysis = rep_len(analysis, n), group = rep_len(as.character(group), n),
    term = rep_len(as.character(term), n), stat = rep_len(stat, n),
    value = ifelse(is.na(value), "NA", sprintf("%.17g", rep_len(value, n))),
    stringsAsFactors = FALSE
  ))
}

# ---- data sets --------------------------------------------------------------------------------
m <- survival::mgus2
mgus2_competing <- data.frame(
  time = ifelse(m$pstat == 0, m$futime, m$ptime),
  status = ifelse(m$pstat == 0, 2 * m$death, 1),
  group = m$sex, strata = as.integer(m$age >= 70)
)
p <- survival::pbc
pbc_competing <- data.frame(time = p$time, status = p$status, group = p$edema, strata = p$trt)

set.seed(20261202)
n <- 400
g <- sample(c("a", "b", "c"), n, replace = TRUE, prob = c(0.4, 0.35, 0.25))
rate <- c(a = 1, b = 1.5, c = 0.7)[g]
tt <- round(rexp(n, rate) * 3, 1)
cause <- sample(1:3, n, replace = TRUE, prob = c(0.55, 0.42, 0.03))
cens <- round(runif(n, 0, 8), 1)
status <- ifelse(tt <= cens, cause, 0)
time <- pmin(tt, cens)
time[1:3] <- 0
status[1:3] <- c(1, 2, 1)
sim_competing <- rbind(
  data.frame(time = time, status = status, group = g, strata = sample(1:2, n, replace = TRUE)),
  data.frame(time = round(runif(12, 0.5, 6), 1), status = 0, group = "d", strata = 1)
)

r <- read.csv("captem_synthetic.csv")
death_first <- r$pfs_event == 1 & r$os_event == 1 & abs(r$os_months - r$pfs_months) < 1e-9
captem_competing <- data.frame(
  time = r$pfs_months, status = ifelse(r$pfs_event == 0, 0, ifelse(death_first, 2, 1)),
  group = r$line_group, strata = r$pancreas
)

datasets <- list(
  mgus2_competing = list(d = mgus2_competing, milestones = c(12, 60, 120, 240, 400)),
  pbc_competing = list(d = pbc_competing, milestones = c(365, 1825, 3650, 5000)),
  sim_competing = list(d = sim_competing, milestones = c(0, 0.5, 1, 2.5, 5, 7.5)),
  captem_competing = list(d = captem_competing, milestones = c(6, 12, 24, 60))
)

# ---- analyses ---------------------------------------------------------------------------------
state_columns <- function(fit) {
  st <- fit$states
  ifelse(st == "(s0)", "(s0)", st)
}

aj_outputs <- function(name, fit, gname) {
  st <- state_columns(fit)
  strata <- if (is.null(fit$strata)) rep(gname, length(fit$time)) else
    rep(sub("^group=", "", names(fit$strata)), fit$strata)
  row <- ave(seq_along(strata), strata, FUN = seq_along)
  emit(name, "aj", strata, row, "time", fit$time)
  emit(name, "aj", strata, row, "n.risk", fit$n.risk[, 1])
  for (j in seq_along(st)) {
    if (st[j] != "(s0)") emit(name, "aj", strata, row, paste0("n.event_", st[j]), fit$n.event[, j])
    for (col in c("pstate", "std.err", "lower", "upper")) {
      emit(name, "aj", strata, row, paste0(col, "_", st[j]), fit[[col]][, j])
    }
  }
}

for (name in names(datasets)) {
  write.csv(datasets[[name]]$d, paste0(name, ".csv"), row.names = FALSE, na = "")
  # analyse the file as written (15 significant digits), as the tests read it
  d <- read.csv(paste0(name, ".csv"), colClasses = c(group = "character"))
  if (name == "pbc_competing") d$group <- as.numeric(d$group)
  causes <- sort(unique(d$status[d$status > 0]))
  d$ev <- factor(d$status, c(0, causes), c("censor", causes))
  for (by_group in c(TRUE, FALSE)) {
    form <- if (by_group) Surv(time, ev) ~ group else Surv(time, ev) ~ 1
    fit <- survfit(form, data = d)
    aj_outputs(name, fit, "(all)")
    st <- state_columns(fit)
    cts <- if (by_group && name %in% c("sim_competing", "captem_competing"))
      c("plain", "log-log", "logit", "arcsin") else character(0)
    for (ct in cts) {
      f2 <- survfit(form, data = d, conf.type = ct)
      strata <- if (is.null(f2$strata)) rep("(all)", length(f2$time)) else
        rep(sub("^group=", "", names(f2$strata)), f2$strata)
      row <- ave(seq_along(strata), strata, FUN = seq_along)
      for (j in seq_along(st)) {
        emit(name, paste0("aj_ci_", ct), strata, row, paste0("lower_", st[j]), matrix(f2$lower, ncol = length(st))[, j])
        emit(name, paste0("aj_ci_", ct), strata, row, paste0("upper_", st[j]), matrix(f2$upper, ncol = length(st))[, j])
      }
    }
    s <- summary(fit, times = datasets[[name]]$milestones)
    strata <- if (is.null(s$strata)) rep("(all)", length(s$time)) else
      sub("^group=", "", as.character(s$strata))
    emit(name, "aj_at", strata, s$time, "n.risk", s$n.risk[, 1])
    for (j in seq_along(st)) {
      for (col in c("pstate", "std.err", "lower", "upper")) {
        emit(name, "aj_at", strata, s$time, paste0(col, "_", st[j]), s[[col]][, j])
      }
    }
  }
  ci <- cuminc(d$time, d$status, d$group)
  for (nm in setdiff(names(ci), "Tests")) {
    x <- ci[[nm]]
    last <- !duplicated(x$time, fromLast = TRUE)
    k <- seq_len(sum(last))
    emit(name, "cuminc", nm, k, "time", x$time[last])
    emit(name, "cuminc", nm, k, "est", x$est[last])
    emit(name, "cuminc", nm, k, "var", x$var[last])
  }
  tests <- list(gray = ci$Tests)
  ok <- !is.na(d$strata)
  tests$gray_strata <- cuminc(d$time[ok], d$status[ok], d$group[ok], d$strata[ok])$Tests
  tests$gray_rho1 <- cuminc(d$time, d$status, d$group, rho = 1)$Tests
  for (an in names(tests)) {
    tt <- tests[[an]]
    emit(name, an, "", rownames(tt), "stat", tt[, "stat"])
    emit(name, an, "", rownames(tt), "pv", tt[, "pv"])
    emit(name, an, "", rownames(tt), "df", tt[, "df"])
    emit(name, an, "", rownames(tt), "p_upper", pchisq(tt[, "stat"], tt[, "df"], lower.tail = FALSE))
  }
}

write_crr <- function(name, d) {
  if (name == "sim_competing") d <- d[d$group != "d", ]
  lev <- sort(unique(d$group))
  X <- sapply(lev[-1], function(l) as.numeric(d$group == l))
  X <- cbind(matrix(X, nrow = nrow(d), dimnames = list(NULL, as.character(lev[-1]))),
             strata = d$strata)
  for (fc in sort(unique(d$status[d$status > 0]))) {
    f <- crr(d$time, d$status, X, failcode = fc)
    se <- sqrt(diag(f$var))
    z <- f$coef / se
    emit(name, "crr", fc, colnames(X), "coef", f$coef)
    emit(name, "crr", fc, colnames(X), "se", se)
    emit(name, "crr", fc, colnames(X), "z", z)
    emit(name, "crr", fc, colnames(X), "p_upper", 2 * pnorm(-abs(z)))
    emit(name, "crr", fc, "", "loglik", f$loglik)
    emit(name, "crr", fc, "", "converged", as.numeric(f$converged))
  }
}
for (name in names(datasets)) {
  d <- read.csv(paste0(name, ".csv"), colClasses = c(group = "character"))
  if (name == "pbc_competing") d$group <- as.numeric(d$group)
  write_crr(name, d)
}

write.csv(out, "competing_reference.csv", row.names = FALSE)
write.csv(data.frame(
  software = c("R", "survival", "cmprsk"),
  version = c(
    R.version.string, as.character(packageVersion("survival")),
    as.character(packageVersion("cmprsk"))
  )
), "competing_session.csv", row.names = FALSE)
