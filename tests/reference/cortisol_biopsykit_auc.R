# Reference values for tests/test_cortisol.py, computed in base R independently of hormonestats.
# Data: BioPsyKit example saliva cortisol (MIT licence, see cortisol_biopsykit_LICENSE;
# BioPsyKit commit 5f5d179a), 26 subjects x 7 samples, nmol/L, wide format.
# Sample times (minutes relative to the stressor): -30, -1, 30, 40, 50, 60, 70.
# AUC formulas: Pruessner et al. (2003), Psychoneuroendocrinology 28:916.
# Run from this folder:  Rscript cortisol_biopsykit_auc.R
d <- read.csv("cortisol_biopsykit_sample.csv", check.names = FALSE)
tt <- c(-30, -1, 30, 40, 50, 60, 70)
m <- as.matrix(d[, as.character(0:6)])
trap <- function(y, x) sum(diff(x) * (head(y, -1) + tail(y, -1)) / 2)
auc_g <- apply(m, 1, trap, x = tt)
auc_i <- auc_g - m[, 1] * (tt[7] - tt[1])
# post-stressor AUCi: curve from the last sample at/before the stressor (t = -1) onwards
post <- tt >= -1
auc_g_post <- apply(m[, post], 1, trap, x = tt[post])
auc_i_post <- auc_g_post - m[, 2] * (tt[7] - tt[2])
peak_reactivity <- apply(m[, -1], 1, max) - m[, 1]
per_subject <- data.frame(subject = d$subject, condition = d$condition, auc_g = auc_g,
                          auc_i = auc_i, auc_i_post = auc_i_post,
                          peak_reactivity = peak_reactivity)
write.csv(per_subject, "cortisol_biopsykit_auc_r.csv", row.names = FALSE)
se <- function(x) sd(x) / sqrt(length(x))
vars <- c("auc_g", "auc_i", "auc_i_post", "peak_reactivity")
rows <- list()
for (g in sort(unique(d$condition))) for (v in vars) {
  x <- per_subject[per_subject$condition == g, v]
  rows[[length(rows) + 1]] <- data.frame(condition = g, feature = v, n = length(x),
                                         mean = mean(x), se = se(x))
}
write.csv(do.call(rbind, rows), "cortisol_biopsykit_auc_summary_r.csv", row.names = FALSE)
