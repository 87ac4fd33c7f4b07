# Standardised equivalence bounds (scale = "d") for a 0/1 predictor: Cohen's d uses the residual
# SD of the fitted model, whether the 0/1 column is centred or not (Lakens 2017).
# Run from tests/reference/:  Rscript equivalence_d.R
# Base R only. Data: ToothGrowth (Crampton 1947) and sleep (Cushny & Peebles 1905; Student 1908),
# both in R's datasets package (GPL >= 2), written here so Python reads the same numbers.
options(digits = 15)

tost <- function(est, se, df, low, high) {
  t_lower <- (est - low) / se
  t_upper <- (est - high) / se
  p_lower <- pt(t_lower, df, lower.tail = FALSE)
  p_upper <- pt(t_upper, df)
  c(t_lower = t_lower, p_lower = p_lower, t_upper = t_upper, p_upper = p_upper,
    p_value = max(p_lower, p_upper))
}
rows <- list()

# 1. ToothGrowth: len ~ oj * dose with both predictors mean-centred (as hs.moderation does);
#    the oj coefficient is the OJ - VC difference at the mean dose, d bounds +-0.5 residual SDs
tg <- data.frame(len = ToothGrowth$len, oj = as.numeric(ToothGrowth$supp == "OJ"),
                 dose = ToothGrowth$dose)
write.csv(tg, "equivalence_d_toothgrowth.csv", row.names = FALSE)
tg$oj_c <- tg$oj - mean(tg$oj)
tg$dose_c <- tg$dose - mean(tg$dose)
fit <- lm(len ~ oj_c * dose_c, data = tg)
co <- summary(fit)$coefficients["oj_c", ]
s <- sigma(fit)
for (delta in c(0.5, 1)) {
  r <- tost(co[["Estimate"]], co[["Std. Error"]], fit$df.residual, -delta * s, delta * s)
  rows[[length(rows) + 1]] <- data.frame(
    data = "toothgrowth", term = "oj", delta = delta, standardizer = s,
    estimate = co[["Estimate"]], std_error = co[["Std. Error"]], df = fit$df.residual,
    bound_low = -delta * s, bound_high = delta * s, t(r))
}

# 2. sleep as two independent groups (R's ?t.test example), the 0/1 group column centred:
#    the residual SD is the pooled SD, and TOST equals two t.test calls with shifted mu
sl <- data.frame(extra = sleep$extra, group2 = as.numeric(sleep$group == "2"))
write.csv(sl, "equivalence_d_sleep.csv", row.names = FALSE)
sl$group2_c <- sl$group2 - mean(sl$group2)
fit <- lm(extra ~ group2_c, data = sl)
co <- summary(fit)$coefficients["group2_c", ]
s <- sigma(fit)
g2 <- sl$extra[sl$group2 == 1]
g1 <- sl$extra[sl$group2 == 0]
for (delta in c(0.5, 1, 2)) {
  r <- tost(co[["Estimate"]], co[["Std. Error"]], fit$df.residual, -delta * s, delta * s)
  lo <- t.test(g2, g1, var.equal = TRUE, mu = -delta * s, alternative = "greater")$p.value
  hi <- t.test(g2, g1, var.equal = TRUE, mu = delta * s, alternative = "less")$p.value
  stopifnot(abs(lo - r[["p_lower"]]) < 1e-12, abs(hi - r[["p_upper"]]) < 1e-12)
  rows[[length(rows) + 1]] <- data.frame(
    data = "sleep", term = "group2", delta = delta, standardizer = s,
    estimate = co[["Estimate"]], std_error = co[["Std. Error"]], df = fit$df.residual,
    bound_low = -delta * s, bound_high = delta * s, t(r))
}
write.csv(do.call(rbind, rows), "equivalence_d_tost.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "equivalence_d_R_sessionInfo.txt")
