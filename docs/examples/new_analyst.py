"""Three tasks on the shipped registry, from the reference site only (issue 17)."""

import captemstats
from captemstats.compare import summarize_characteristics
from captemstats.figures import km_figure
from captemstats.survival import cox_ph, kaplan_meier, logrank_test
from captemstats.tables import characteristics_table

data = captemstats.analyze("data/registry").cohort.data
# 1. Table 1 by grade: every column typed and tested, labels and levels as the data say
table1 = characteristics_table(summarize_characteristics(data, by="grade"))
# 2. PFS by Ki-67 class: Kaplan-Meier, log-rank and the figure with its risk table
km = kaplan_meier("pfs_months", "pfs_event", by="ki67_group", data=data)
logrank = logrank_test("pfs_months", "pfs_event", "ki67_group", data=data)
figure = km_figure(km, logrank=logrank)
# 3. A two-covariate Cox model of overall survival (sex, a text column, is coded itself)
cox = cox_ph(data, "os_months", "os_event", ["age", "sex"])
print(km.medians_frame(), f"log-rank P = {logrank.p_value:.3f}", cox.to_frame(), sep="\n")
