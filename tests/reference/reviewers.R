# Reference values for what reviewers ask for (issue "equivalence tests, binary outcomes,
# interval censoring"): two one-sided tests from lm(), logistic moderation and mediation with a
# 0/1 outcome, and interval-censored Gaussian regression.
# Run from tests/reference/:  Rscript reviewers.R     (needs the survival package)
# The test suite never calls R; it reads the CSV files written here.
#
# Files written:
#   equivalence_tost.csv     TOST of lm(y ~ x * m + c1) on moderation_data.csv: two pt() calls
#   binary_data.csv          simulated data (n = 400): x, m (continuous mediator/moderator), c1, y01
#   binary_glm.csv           glm(binomial) / lm() coefficients and SEs of the models below
#   binary_lrt.csv           likelihood-ratio test of the x:m product in the logistic moderation
#   binary_indirect.csv      indirect effect a*b (log-odds) and a*b*mean(p(1-p)) (probability
#                            scale) with percentile bootstrap intervals, B = 10000 resamples
#   interval_data.csv        simulated readings with an LOD, an LLOQ and a ULOQ (lo, hi per row)
#   interval_survreg.csv     survreg(Surv(lo, hi, type = "interval2") ~ x + c1, dist = "gaussian")
suppressPackageStartupMessages(library(survival))
options(digits = 15)

# ---- equivalence: TOST without TOSTER, from the lm() estimate, SE and residual df ----------
d <- read.csv("moderation_data.csv")
fit <- lm(y ~ x * m + c1, data = d)
est <- coef(summary(fit))["x:m", "Estimate"]
se <- coef(summary(fit))["x:m", "Std. Error"]
df <- fit$df.residual
bounds <- list(c(-0.1, 0.1), c(-0.05, 0.2), c(0.05, 0.3))
tost <- do.call(rbind, lapply(bounds, function(b) {
  t_lower <- (est - b[1]) / se
  t_upper <- (est - b[2]) / se
  p_lower <- pt(t_lower, df, lower.tail = FALSE)
  p_upper <- pt(t_upper, df, lower.tail = TRUE)
  data.frame(term = "x:m", estimate = est, std_error = se, df = df, low = b[1], high = b[2],
             t_lower = t_lower, p_lower = p_lower, t_upper = t_upper, p_upper = p_upper,
             p_value = max(p_lower, p_upper),
             conf_low = est - qt(0.95, df) * se, conf_high = est + qt(0.95, df) * se)
}))
write.csv(tost, "equivalence_tost.csv", row.names = FALSE)

# ---- binary outcome ------------------------------------------------------------------------
set.seed(20261201)
n <- 400
x <- rnorm(n)
c1 <- rnorm(n)
m <- 0.5 * x + 0.3 * c1 + rnorm(n)
eta <- -0.3 + 0.4 * x + 0.6 * m - 0.3 * c1 + 0.35 * x * m
y01 <- rbinom(n, 1, plogis(eta))
b <- data.frame(x, m, c1, y01)
write.csv(b, "binary_data.csv", row.names = FALSE)

tidy <- function(f, model) {
  s <- coef(summary(f))
  data.frame(model = model, term = rownames(s), estimate = s[, 1], std_error = s[, 2],
             statistic = s[, 3], p_value = s[, 4], row.names = NULL)
}
b$xc <- b$x - mean(b$x)
b$mc <- b$m - mean(b$m)
mod_full <- glm(y01 ~ xc * mc + c1, family = binomial, data = b)
mod_red <- glm(y01 ~ xc + mc + c1, family = binomial, data = b)
med_a <- lm(m ~ x + c1, data = b)
med_b <- glm(y01 ~ x + m + c1, family = binomial, data = b)
med_c <- glm(y01 ~ x + c1, family = binomial, data = b)
write.csv(rbind(tidy(mod_full, "moderation"), tidy(med_a, "mediator"), tidy(med_b, "outcome"),
                tidy(med_c, "total")), "binary_glm.csv", row.names = FALSE)
lrt <- anova(mod_red, mod_full, test = "LRT")
write.csv(data.frame(statistic = lrt$Deviance[2], df = lrt$Df[2], p_value = lrt[2, "Pr(>Chi)"],
                     mcfadden_r2 = 1 - mod_full$deviance / mod_full$null.deviance),
          "binary_lrt.csv", row.names = FALSE)

indirect <- function(data) {
  a <- coef(lm(m ~ x + c1, data = data))["x"]
  fb <- glm(y01 ~ x + m + c1, family = binomial, data = data)
  p <- fitted(fb)
  bb <- coef(fb)["m"]
  c(a * bb, a * bb * mean(p * (1 - p)))
}
point <- indirect(b)
B <- 10000
set.seed(7)
boot <- t(replicate(B, indirect(b[sample.int(n, n, replace = TRUE), ])))
write.csv(data.frame(scale = c("log_odds", "probability"), estimate = point,
                     std_error = apply(boot, 2, sd),
                     conf_low = apply(boot, 2, quantile, 0.025, type = 6),
                     conf_high = apply(boot, 2, quantile, 0.975, type = 6), n_boot = B),
          "binary_indirect.csv", row.names = FALSE)

# ---- interval censoring: readings below the LOD, between LOD and LLOQ, above the ULOQ --------
set.seed(20261202)
n <- 300
x <- rnorm(n)
c1 <- rbinom(n, 1, 0.5)
ystar <- 1 + 0.5 * x + 0.3 * c1 + rnorm(n, 0, 0.8)
lod <- 0.4; lloq <- 0.9; uloq <- 2.2
lo <- ifelse(ystar < lod, NA, ifelse(ystar < lloq, lod, ifelse(ystar > uloq, uloq, ystar)))
hi <- ifelse(ystar < lod, lod, ifelse(ystar < lloq, lloq, ifelse(ystar > uloq, NA, ystar)))
iv <- data.frame(x, c1, lo, hi)
write.csv(iv, "interval_data.csv", row.names = FALSE, na = "")
sfit <- survreg(Surv(lo, hi, type = "interval2") ~ x + c1, data = iv, dist = "gaussian")
v <- vcov(sfit)
write.csv(data.frame(term = c(names(coef(sfit)), "Log(scale)"),
                     estimate = c(coef(sfit), log(sfit$scale)), std_error = sqrt(diag(v)),
                     loglik = sfit$loglik[2], n_left = sum(is.na(lo)), n_right = sum(is.na(hi)),
                     n_interval = sum(!is.na(lo) & !is.na(hi) & lo < hi)),
          "interval_survreg.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "reviewers_R_sessionInfo.txt")
