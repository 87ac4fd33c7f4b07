# Reference values for hormonestats' profile-likelihood intervals of random-slope models: the
# SDs of random intercepts and slopes, their correlations, the residual SD and the fixed effects
# (lme4::confint(method = "profile"); Bates, Maechler, Bolker & Walker 2015, section 5.1).
# Run from tests/reference/:  Rscript mixed_profile_slopes.R   (after mixed_inference.R, whose
# data it reads). Needs lme4. Two references per limit: lme4's own confint (a spline through
# profile points, so its limits carry that interpolation error) and the same profile solved
# tightly here. Variance parameters: lme4's ML deviance function of the SDs and correlations
# (devfun2), the other parameters re-optimised by nlminb and Nelder-Mead at every point.
# Fixed effects: the ML fit with the coefficient held fixed (an offset), optimised tightly by
# bobyqa. Each limit found by uniroot to 1e-10; a limit the profile does not reach inside the
# parameter's range (0 for an SD, -1 or 1 for a correlation) is that bound.
suppressPackageStartupMessages(library(lme4))
options(digits = 15)
tight <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 0.2, rhoend = 1e-12,
                                                         maxfun = 1e6),
                     check.conv.singular = "ignore", calc.derivs = FALSE)

limits_of <- function(zeta, est, lo0, hi0, zc) {
  low <- if (zeta(lo0) > -zc) lo0 else uniroot(function(x) zeta(x) + zc, c(lo0, est),
                                                 tol = 1e-10)$root
  if (is.finite(hi0)) {
    high <- if (zeta(hi0) < zc) hi0 else uniroot(function(x) zeta(x) - zc, c(est, hi0),
                                                   tol = 1e-10)$root
  } else {
    step <- abs(est) + 1e-3
    b <- est + step
    while (zeta(b) < zc) { step <- step * 2; b <- est + step }
    high <- uniroot(function(x) zeta(x) - zc, c(est, b), tol = 1e-10)$root
  }
  c(low, high)
}

tight_varpar <- function(fit, is_cor, level = 0.95) {
  dd <- lme4:::devfun2(fit, useSc = TRUE, signames = FALSE)
  opt <- attr(dd, "optimum")
  np <- length(getME(fit, "theta")) + 1
  est <- opt[seq_len(np)]
  lower_all <- ifelse(is_cor, -1, 0); lower_all[np] <- 1e-8
  upper_all <- ifelse(is_cor, 1, Inf)
  prof <- function(k, x) {
    f <- function(z) { p <- numeric(np); p[k] <- x; p[-k] <- z; dd(p) }
    r1 <- nlminb(est[-k], f, lower = lower_all[-k], upper = upper_all[-k],
                 control = list(rel.tol = 1e-15, x.tol = 1e-12, eval.max = 5000,
                                iter.max = 5000))
    g <- function(z) if (any(z < lower_all[-k] | z > upper_all[-k])) Inf else f(z)
    r2 <- optim(r1$par, g, method = "Nelder-Mead", control = list(reltol = 1e-15, maxit = 5000))
    min(r1$objective, r2$value)
  }
  base <- dd(est)
  zc <- qnorm(1 - (1 - level) / 2)
  out <- NULL
  for (k in seq_len(np)) {
    zeta <- function(x) sign(x - est[k]) * sqrt(max(prof(k, x) - base, 0))
    lo0 <- if (is_cor[k]) -1 else if (k < np) 0 else est[k] * 1e-3
    hi0 <- if (is_cor[k]) 1 else Inf
    lim <- limits_of(zeta, est[[k]], lo0, hi0, zc)
    out <- rbind(out, data.frame(estimate = est[[k]], tight_low = lim[1], tight_high = lim[2]))
  }
  out
}

tight_fixed <- function(fit, level = 0.95) {
  X <- getME(fit, "X")
  y <- getME(fit, "y")
  fr <- model.frame(fit)
  re <- paste0("(", sapply(findbars(formula(fit)), deparse), ")", collapse = " + ")
  ml <- refitML(fit)
  base <- deviance(ml)
  zc <- qnorm(1 - (1 - level) / 2)
  out <- NULL
  for (j in seq_len(ncol(X))) {
    d <- fr
    d$.y <- y
    Xo <- X[, -j, drop = FALSE]
    colnames(Xo) <- paste0(".x", seq_len(ncol(Xo)))
    d <- cbind(d, Xo)
    f <- as.formula(paste(".y ~ 0 +", paste(colnames(Xo), collapse = " + "), "+", re))
    prof <- function(b) {
      d$.off <- b * X[, j]
      deviance(lmer(f, data = d, REML = FALSE, offset = .off, control = tight))
    }
    est <- fixef(ml)[[j]]
    zeta <- function(b) sign(b - est) * sqrt(max(prof(b) - base, 0))
    se <- sqrt(diag(as.matrix(vcov(ml))))[j]
    step <- 2 * se
    a <- est - step; while (zeta(a) > -zc) a <- a - step
    b <- est + step; while (zeta(b) < zc) b <- b + step
    low <- uniroot(function(x) zeta(x) + zc, c(a, est), tol = 1e-10)$root
    high <- uniroot(function(x) zeta(x) - zc, c(est, b), tol = 1e-10)$root
    out <- rbind(out, data.frame(estimate = est, tight_low = low, tight_high = high))
  }
  out
}

profile_table <- function(formula, data, name) {
  fit <- lmer(formula, data = data, REML = TRUE, control = tight)
  ci <- confint(fit, method = "profile", oldNames = FALSE)
  np <- length(getME(fit, "theta")) + 1
  is_cor <- startsWith(rownames(ci)[seq_len(np)], "cor_")
  tl <- rbind(tight_varpar(fit, is_cor), tight_fixed(fit))
  data.frame(model = name, parameter = rownames(ci), conf_low = ci[, 1], conf_high = ci[, 2],
             estimate_ml = tl$estimate, tight_low = tl$tight_low, tight_high = tl$tight_high,
             row.names = NULL)
}

sleep <- read.csv("mixed_engine_sleepstudy.csv")
cw <- read.csv("mixed_inference_chickweight.csv")
cw$Diet <- as.character(cw$Diet)
cw$Chick <- as.character(cw$Chick)
write.csv(rbind(
  profile_table(Reaction ~ Days + (Days | Subject), sleep, "sleepstudy"),
  profile_table(Reaction ~ Days + (Days || Subject), sleep, "sleepstudy_uncor"),
  profile_table(weight ~ Time + Diet + (Time | Chick), cw, "chickweight")
), "mixed_profile_slopes.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "mixed_profile_slopes_R_sessionInfo.txt")
