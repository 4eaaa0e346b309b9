# Reference for a Cox fit whose Newton path needs R's bound on the update (issue 19/21).
#
# Usage (from the repository root):
#   Rscript tests/reference/make_cox_collinear_reference.R
# Made with R 4.2.2 / survival 3.5-3; the run writes its versions to cox_collinear_session.csv.
#
# cox_near_collinear.csv: the Table 3 design of a 60-patient synthetic cohort (seed 11; no
# identifier, no date) where Ki-67 <= 20 % and grade 1-2 are nearly collinear: an unbounded
# Newton step sends exp(x beta) past overflow; coxph's maxbeta bound (coxfit6) keeps it finite.
suppressPackageStartupMessages(library(survival))
here <- if (file.exists("cox_near_collinear.csv")) "." else "tests/reference"
d <- read.csv(file.path(here, "cox_near_collinear.csv"))
fit <- coxph(Surv(time, event) ~ ., data = d, ties = "efron")
out <- data.frame(term = names(coef(fit)), coef = unname(coef(fit)),
                  se = unname(sqrt(diag(fit$var))))
out <- rbind(out, data.frame(term = "loglik", coef = fit$loglik[2], se = NA))
write.csv(out, file.path(here, "cox_near_collinear_reference.csv"), row.names = FALSE)
write.csv(data.frame(software = c("R", "survival"),
                     version = c(R.version.string, as.character(packageVersion("survival")))),
          file.path(here, "cox_collinear_session.csv"), row.names = FALSE)
cat("wrote cox_near_collinear_reference.csv\n")
