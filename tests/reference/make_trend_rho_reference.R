# Reference values for the G-rho log-rank test for trend (issue 19, item 4): survdiff(rho = )
# gives O, E and the variance matrix of the weighted test; the trend statistic is
# (s'(O - E))^2 / s'Vs (Collett 2015, section 2.6.4), as make_reference.R does for rho = 0.
#
# Usage (from the repository root or from tests/reference/):
#   Rscript tests/reference/make_trend_rho_reference.R
# Made with R 4.2.2 / survival 3.5-3; the run writes its versions to trend_rho_session.csv.
# Output: trend_rho_reference.csv: data, rho, strata (0/1), chisq, U, var (17 digits).
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else getwd()
setwd(here)

trend <- function(name, time, status, group, rho, strata = NULL) {
  f <- if (is.null(strata)) survdiff(Surv(time, status) ~ group, rho = rho)
       else survdiff(Surv(time, status) ~ group + strata(strata), rho = rho)
  s <- sort(unique(group))
  u <- sum(s * (f$obs - f$exp))
  v <- drop(t(s) %*% f$var %*% s)
  data.frame(data = name, rho = rho, strata = as.integer(!is.null(strata)),
             chisq = u^2 / v, U = u, var = v)
}

vet <- read.csv("veteran.csv")
cap <- read.csv("captem_synthetic.csv")
cap <- cap[!is.na(cap$ecog), ]
lung <- read.csv("lung.csv")
lung <- lung[!is.na(lung$ph.ecog), ]
rows <- list()
for (rho in c(0, 0.5, 1, 2)) {
  rows[[length(rows) + 1]] <- trend("veteran", vet$time, vet$status, vet$karno_grp, rho)
  rows[[length(rows) + 1]] <- trend("veteran", vet$time, vet$status, vet$karno_grp, rho,
                                    strata = vet$trt)
  rows[[length(rows) + 1]] <- trend("captem", cap$pfs_months, cap$pfs_event, cap$ecog, rho)
  rows[[length(rows) + 1]] <- trend("lung", lung$time, lung$status, lung$ph.ecog, rho)
}
res <- do.call(rbind, rows)
for (col in c("chisq", "U", "var")) res[[col]] <- formatC(res[[col]], digits = 17, format = "g")
write.csv(res, "trend_rho_reference.csv", row.names = FALSE)
write.csv(data.frame(software = c("R", "survival"),
                     version = c(R.version.string, as.character(packageVersion("survival")))),
          "trend_rho_session.csv", row.names = FALSE)
cat("wrote trend_rho_reference.csv\n")
