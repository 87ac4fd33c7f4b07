# Reference distribution for hormonestats' parametric bootstrap of generalized mixed models:
# lme4::bootMer (use.u = FALSE, type = "parametric") on cbpp, the binomial model with trials of
# glmm.R. Run from tests/reference/:  Rscript glmm_boot.R   (about a minute)
# Writes glmm_boot_values.csv: per parameter (fixed effects, herd SD) the mean, SD and the 2.5%
# and 97.5% quantiles (type 7, the percentile interval of confint(method = "boot")) over
# nsim = 2000 replicates, and the number of replicates. Needs lme4 (data cbpp from lme4).
# The Python test compares its own bootstrap with these in distribution (Monte Carlo tolerance
# stated there); the Python test suite never calls R.
suppressPackageStartupMessages(library(lme4))
options(digits = 15)
fit <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), data = cbpp,
             family = binomial)
stat <- function(f) c(fixef(f), sd_herd = sqrt(unname(unlist(VarCorr(f)))))
nsim <- 2000
t0 <- proc.time()[["elapsed"]]
bt <- suppressWarnings(suppressMessages(bootMer(fit, stat, nsim = nsim, seed = 2029,
                                                use.u = FALSE, type = "parametric")))
cat(sprintf("bootMer: %d replicates in %.1f s\n", nsim, proc.time()[["elapsed"]] - t0))
draws <- bt$t[stats::complete.cases(bt$t), , drop = FALSE]
out <- do.call(rbind, lapply(seq_len(ncol(draws)), function(j) {
  v <- draws[, j]
  data.frame(term = colnames(bt$t)[j], mean = mean(v), sd = sd(v),
             q025 = unname(quantile(v, 0.025, type = 7)),
             q975 = unname(quantile(v, 0.975, type = 7)), n = length(v))
}))
write.csv(out, "glmm_boot_values.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "glmm_boot_R_sessionInfo.txt")
