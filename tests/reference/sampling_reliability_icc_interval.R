# Reference values for the interval of hormonestats' random-intercept ICC (mixed_icc,
# sampling_reliability): the profile-likelihood interval of the restricted (REML) likelihood.
# The adjusted ICC tau00 / (tau00 + sigma^2) equals theta^2 / (1 + theta^2) with theta =
# tau / sigma, lme4's relative SD, so its profile interval is the transformed interval of theta
# from lme4's REML criterion with sigma and the fixed effects profiled out
# (lmer(..., devFunOnly = TRUE); Bates, Maechler, Bolker & Walker 2015): the limits solve
# crit(theta) - crit(theta_hat) = qnorm(0.975)^2 by uniroot to 1e-12; a lower limit the profile
# does not reach before theta = 0 is 0. For context, performance::icc's own interval (ci = 0.95,
# a parametric bootstrap of 1000 refits, seed 1) is written beside it; it is a different method
# and is not compared at the reference tolerance.
# Run from tests/reference/ after sampling_reliability.R (whose data it reads):
#   Rscript sampling_reliability_icc_interval.R      Needs lme4, performance.
suppressPackageStartupMessages({library(lme4); library(performance)})
options(digits = 15)

profile_icc <- function(formula, data, name, level = 0.95) {
  dd <- lmer(formula, data = data, REML = TRUE, devFunOnly = TRUE)
  opt <- optimize(dd, c(0, 50), tol = 1e-14)
  th <- opt$minimum
  zc2 <- qnorm(1 - (1 - level) / 2)^2
  g <- function(t) dd(t) - opt$objective - zc2
  low <- if (g(0) < 0) 0 else uniroot(g, c(0, th), tol = 1e-12)$root
  b <- 2 * th + 1; while (g(b) < 0) b <- 2 * b
  high <- uniroot(g, c(th, b), tol = 1e-12)$root
  fit <- lmer(formula, data = data, REML = TRUE)
  set.seed(1)
  boot <- performance::icc(fit, ci = level, iterations = 1000)
  data.frame(data = name, formula = deparse(formula), icc = th^2 / (1 + th^2),
             icc_conf_low = low^2 / (1 + low^2), icc_conf_high = high^2 / (1 + high^2),
             boot_conf_low = boot$ICC_adjusted[2], boot_conf_high = boot$ICC_adjusted[3])
}

sleep <- read.csv("sleepstudy.csv")
horm_miss <- read.csv("sampling_reliability_hormone_missing.csv")
write.csv(rbind(
  profile_icc(Reaction ~ 1 + (1 | Subject), sleep, "sleepstudy"),
  profile_icc(Reaction ~ Days + (1 | Subject), sleep, "sleepstudy"),
  profile_icc(log_cortisol ~ 1 + (1 | subject), horm_miss, "hormone_missing"),
  profile_icc(log_cortisol ~ weekend + (1 | subject), horm_miss, "hormone_missing")
), "sampling_reliability_icc_interval.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "sampling_reliability_icc_interval_R_sessionInfo.txt")
