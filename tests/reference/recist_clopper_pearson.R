# Reference exact (Clopper-Pearson) binomial confidence intervals for tests/test_recist.py.
#
# Usage (from the repository root): Rscript tests/reference/recist_clopper_pearson.R
# Made with R 4.2.2; a run writes its R and stats versions to recist_clopper_pearson_session.csv.
# Writes tests/reference/recist_clopper_pearson.csv with columns k, n, level, lower, upper
# (binom.test(k, n, conf.level = level)$conf.int, printed with 17 significant digits).
# The (k, n) pairs cover the edge cases (k = 0, k = n, n = 1) and the study's Table 2 counts.
args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(file_arg)) dirname(normalizePath(file_arg)) else "."
cases <- data.frame(
  k = c(0, 1, 1, 5, 10, 3, 11, 118, 129, 207, 75, 98, 39, 77, 15, 33, 0, 50),
  n = c(10, 1, 10, 5, 10, 7, 304, 304, 304, 304, 137, 137, 117, 117, 50, 50, 1, 50)
)
rows <- list()
for (level in c(0.95, 0.90)) {
  for (i in seq_len(nrow(cases))) {
    ci <- binom.test(cases$k[i], cases$n[i], conf.level = level)$conf.int
    rows[[length(rows) + 1]] <- data.frame(
      k = cases$k[i], n = cases$n[i], level = level, lower = ci[1], upper = ci[2]
    )
  }
}
out <- do.call(rbind, rows)
out$lower <- trimws(formatC(out$lower, digits = 17, format = "g"))
out$upper <- trimws(formatC(out$upper, digits = 17, format = "g"))
write.csv(out, file.path(here, "recist_clopper_pearson.csv"), row.names = FALSE, quote = FALSE)
# the versions behind these numbers (as make_reference.R writes session.csv)
write.csv(data.frame(software = c("R", "stats"),
                     version = c(R.version.string, as.character(packageVersion("stats")))),
          file.path(here, "recist_clopper_pearson_session.csv"), row.names = FALSE)
