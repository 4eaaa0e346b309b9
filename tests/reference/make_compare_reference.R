# Reference values from base R for captemstats.compare (group comparisons of Table 1).
#
# Usage (from the repository root or from tests/reference/):
#   Rscript tests/reference/make_compare_reference.R
# Made with R 4.2.2; the R and stats versions of a run are written to compare_session.csv.
#
# Complements make_reference.R (survival and small-table values) with larger r x c tables like
# the study's (3 treatment lines, n = 308), the rank tests' exact and approximate branches and a
# synthetic 3-group data set summarised as gtsummary's tbl_summary(by = line_group) |> add_p()
# would (counts, percentages, median/min/max/mean/sd, chisq.test / fisher.test / kruskal.test).
#
# Outputs (long format as the other *_reference.csv files, value printed with 17 digits):
#   compare_input.csv      the synthetic 3-group data set (made here with a fixed seed)
#   compare_reference.csv  analysis, group, term, stat, value
#     table / chisq / fisher     tables given cell by cell (row-major, "cells"; "dim")
#     wilcoxon / kruskal         samples given as analysis "values" (group = sample name)
#     summary_cat / summary_cont / test_cat / test_cont   the 3-group data set
args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else getwd()
setwd(here)

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

# ---- contingency tables (given row by row) ---------------------------------------------------
tables <- list(
  # 3 lines x 5 levels, n = 308, sparse levels (needs Fisher; FEXACT needs a large workspace)
  study3x5 = matrix(c(60, 30, 5, 2, 42, 50, 25, 3, 1, 20, 35, 20, 4, 1, 10), 3, byrow = TRUE),
  grade4x3 = matrix(c(19, 33, 10, 104, 65, 24, 14, 11, 15, 2, 9, 2), 4, byrow = TRUE),
  age3x3 = matrix(c(60, 44, 20, 66, 59, 29, 13, 15, 2), 3, byrow = TRUE),
  prrt2x3 = matrix(c(0, 10, 17, 139, 108, 34), 2, byrow = TRUE),
  sparse2x5 = matrix(c(1, 0, 3, 2, 0, 4, 6, 0, 1, 2), 2, byrow = TRUE),
  small5x4 = matrix(c(2, 0, 1, 3, 0, 4, 1, 0, 1, 1, 5, 0, 3, 0, 0, 2, 0, 2, 1, 1), 5,
                    byrow = TRUE),
  zero2x2 = matrix(c(0, 5, 6, 2), 2, byrow = TRUE),
  big2x2 = matrix(c(45, 94, 30, 88), 2, byrow = TRUE),
  ties2x2 = matrix(c(5, 5, 5, 5), 2, byrow = TRUE)
)
for (nm in names(tables)) {
  tab <- tables[[nm]]
  emit("table", nm, "", "dim", dim(tab))
  emit("table", nm, "", "cells", as.vector(t(tab)))
  ch <- suppressWarnings(chisq.test(tab, correct = FALSE))
  emit("chisq", nm, "", "statistic", ch$statistic)
  emit("chisq", nm, "", "df", ch$parameter)
  emit("chisq", nm, "", "p", ch$p.value)
  emit("chisq", nm, "", "expected_min", min(ch$expected))
  emit("fisher", nm, "", "p", fisher.test(tab, workspace = 2e8)$p.value)
}

# ---- rank tests ------------------------------------------------------------------------------
set.seed(20240601)
samples <- list(
  # exact branch with W > m n / 2 (no ties, both n < 50)
  ex_x = c(8.3, 9.1, 7.7, 10.4, 6.9, 11.2, 9.8, 12.5),
  ex_y = c(5.2, 7.1, 6.3, 8.0, 4.4, 9.5, 3.9, 6.6, 5.8),
  # normal branch because of ties (rounded values)
  tie_x = round(rnorm(60, 50, 10)),
  tie_y = round(rnorm(45, 54, 10)),
  # normal branch because n >= 50, no ties
  big_x = rnorm(55, 0, 1),
  big_y = rnorm(52, 0.4, 1),
  # Kruskal-Wallis, 3 groups with ties
  kw_1 = round(rexp(40, 1 / 12), 1),
  kw_2 = round(rexp(35, 1 / 15), 1),
  kw_3 = round(rexp(20, 1 / 20), 1)
)
for (nm in names(samples)) emit("values", nm, seq_along(samples[[nm]]), "x", samples[[nm]])
for (pair in list(c("ex_x", "ex_y"), c("tie_x", "tie_y"), c("big_x", "big_y"))) {
  w <- suppressWarnings(wilcox.test(samples[[pair[1]]], samples[[pair[2]]]))
  nm <- paste(pair, collapse = "~")
  emit("wilcoxon", nm, "", "statistic", w$statistic)
  emit("wilcoxon", nm, "", "p", w$p.value)
  emit("wilcoxon", nm, "", "exact", as.numeric(grepl("exact", w$method) &&
                                                 !grepl("continuity", w$method)))
}
kw <- kruskal.test(list(samples$kw_1, samples$kw_2, samples$kw_3))
emit("kruskal", "kw_1~kw_2~kw_3", "", "statistic", kw$statistic)
emit("kruskal", "kw_1~kw_2~kw_3", "", "df", kw$parameter)
emit("kruskal", "kw_1~kw_2~kw_3", "", "p", kw$p.value)

# ---- a 3-group data set summarised as tbl_summary(by = line_group) |> add_p() ---------------
n <- 150
line <- sample(c("1", "2", "3+"), n, replace = TRUE, prob = c(0.45, 0.35, 0.2))
d <- data.frame(
  line_group = line,
  site = sample(c("pancreas", "gastrointestinal", "lung", "unknown"), n, replace = TRUE,
                prob = c(0.5, 0.3, 0.15, 0.05)),
  sex = sample(c("female", "male"), n, replace = TRUE),
  prior_ssa = sample(c(TRUE, FALSE), n, replace = TRUE, prob = c(0.3, 0.7)),
  age = round(rnorm(n, 55 + 3 * (line == "3+"), 12)),
  ki67 = round(rexp(n, 1 / 10), 1),
  stringsAsFactors = FALSE
)
d$ki67[sample(n, 9)] <- NA
d$sex[sample(n, 4)] <- NA
write.csv(d, "compare_input.csv", row.names = FALSE, na = "")
d <- read.csv("compare_input.csv", stringsAsFactors = FALSE, na.strings = "")
d$line_group <- factor(d$line_group, levels = c("1", "2", "3+"))
groups <- levels(d$line_group)
for (v in c("site", "sex", "prior_ssa")) {
  x <- as.character(d[[v]])
  tab <- table(x, d$line_group)  # missing values excluded, as gtsummary
  lev <- rownames(tab)
  for (g in c("all", groups)) {
    cnt <- if (g == "all") rowSums(tab) else tab[, g]
    emit("summary_cat", v, paste(lev, g, sep = "|"), "n", cnt)
    emit("summary_cat", v, paste(lev, g, sep = "|"), "pct", 100 * cnt / sum(cnt))
    miss <- if (g == "all") sum(is.na(x)) else sum(is.na(x[d$line_group == g]))
    emit("summary_cat", v, g, "n_missing", miss)
  }
  ch <- suppressWarnings(chisq.test(tab, correct = FALSE))
  emit("test_cat", v, "", "expected_min", min(ch$expected))
  emit("test_cat", v, "", "chisq_p", ch$p.value)
  emit("test_cat", v, "", "chisq_statistic", ch$statistic)
  emit("test_cat", v, "", "fisher_p", fisher.test(tab, workspace = 2e8)$p.value)
}
for (v in c("age", "ki67")) {
  y <- d[[v]]
  for (g in c("all", groups)) {
    yy <- if (g == "all") y else y[d$line_group == g]
    ok <- yy[!is.na(yy)]
    emit("summary_cont", v, g, c("n", "n_missing", "median", "min", "max", "mean", "sd"),
         c(length(ok), sum(is.na(yy)), median(ok), min(ok), max(ok), mean(ok), sd(ok)))
  }
  kw <- kruskal.test(y ~ d$line_group)
  emit("test_cont", v, "", "kruskal_statistic", kw$statistic)
  emit("test_cont", v, "", "kruskal_p", kw$p.value)
  two <- d$line_group %in% c("1", "2")
  w <- suppressWarnings(wilcox.test(y[two & d$line_group == "1"], y[two & d$line_group == "2"]))
  emit("test_cont", v, "", "wilcoxon_1v2_statistic", w$statistic)
  emit("test_cont", v, "", "wilcoxon_1v2_p", w$p.value)
}

write.csv(out, "compare_reference.csv", row.names = FALSE)
# the versions behind these numbers (as make_reference.R writes session.csv)
write.csv(data.frame(software = c("R", "stats"),
                     version = c(R.version.string, as.character(packageVersion("stats")))),
          "compare_session.csv", row.names = FALSE)
cat("wrote compare_reference.csv", nrow(out), "values;", R.version.string, "\n")
