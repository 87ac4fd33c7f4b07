# Reference values for hormonestats' profile-likelihood intervals of random-intercept SDs and the
# residual SD (lme4::confint(method = "profile"); Bates, Maechler, Bolker & Walker 2015).
# Run from tests/reference/:  Rscript mixed_profile.R   (after mixed_inference.R, whose data it
# reads). Needs lme4. Two references: lme4's own confint (its profile is a spline through profile
# points, so its limits carry that interpolation error) and the same profile solved tightly here:
# lme4's ML deviance function of the SDs (devfun2), the other parameters re-optimised by nlminb
# at every point, the limit found by uniroot to 1e-10.
suppressPackageStartupMessages(library(lme4))
options(digits = 15)
tight <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 0.2, rhoend = 1e-12,
                                                         maxfun = 1e6),
                     check.conv.singular = "ignore", calc.derivs = FALSE)

tight_limits <- function(fit, level = 0.95) {
  dd <- lme4:::devfun2(fit, useSc = TRUE, signames = FALSE)
  opt <- attr(dd, "optimum")
  np <- length(getME(fit, "theta")) + 1
  est <- opt[seq_len(np)]
  prof <- function(k, x) {
    f <- function(z) { p <- numeric(np); p[k] <- x; p[-k] <- z; dd(p) }
    lower <- rep(0, np - 1); if (k != np) lower[np - 1] <- 1e-8
    r1 <- nlminb(est[-k], f, lower = lower, control = list(rel.tol = 1e-15, x.tol = 1e-12,
                                                           eval.max = 5000, iter.max = 5000))
    r2 <- optim(r1$par, f, method = "Nelder-Mead", control = list(reltol = 1e-15, maxit = 5000))
    min(r1$objective, r2$value)
  }
  base <- dd(est)
  zc <- qnorm(1 - (1 - level) / 2)
  out <- NULL
  for (k in seq_len(np)) {
    zeta <- function(x) sign(x - est[k]) * sqrt(max(prof(k, x) - base, 0))
    lo0 <- if (k < np) 0 else est[k] * 1e-3
    low <- if (zeta(lo0) > -zc) 0 else uniroot(function(x) zeta(x) + zc, c(lo0, est[k]),
                                                 tol = 1e-10)$root
    b <- est[k] * 2 + 1e-3
    while (zeta(b) < zc) b <- b * 2
    high <- uniroot(function(x) zeta(x) - zc, c(est[k], b), tol = 1e-10)$root
    out <- rbind(out, data.frame(k = k, estimate = est[[k]], tight_low = low, tight_high = high))
  }
  out
}

profile_table <- function(formula, data, name) {
  fit <- lmer(formula, data = data, REML = TRUE, control = tight)
  ci <- confint(fit, method = "profile", oldNames = FALSE)
  np <- length(getME(fit, "theta")) + 1
  ci <- ci[seq_len(np), , drop = FALSE]
  tl <- tight_limits(fit)
  data.frame(model = name, parameter = rownames(ci), conf_low = ci[, 1], conf_high = ci[, 2],
             estimate_ml = tl$estimate, tight_low = tl$tight_low, tight_high = tl$tight_high,
             row.names = NULL)
}

sleep <- read.csv("mixed_engine_sleepstudy.csv")
oats <- read.csv("mixed_inference_oats.csv")
cw <- read.csv("mixed_inference_chickweight.csv")
cw$Diet <- as.character(cw$Diet)
write.csv(rbind(
  profile_table(Reaction ~ Days + (1 | Subject), sleep, "sleepstudy"),
  profile_table(yield ~ nitro * Variety + (1 | Block / Variety), oats, "oats"),
  profile_table(weight ~ Time * Diet + (1 | Chick), cw, "chickweight")
), "mixed_profile.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "mixed_profile_R_sessionInfo.txt")
