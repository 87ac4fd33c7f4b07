# Reference values for hormonestats' generalized linear mixed models (Laplace and adaptive
# Gauss-Hermite quadrature). Run from tests/reference/:  Rscript glmm.R
# Needs R packages lme4, numDeriv, emmeans and glmmTMB. Writes the data sets it uses (so Python fits
# the very same numbers) and the R estimates in long form in glmm_values.csv. The Python test
# suite never calls R.
#
# Sources: lme4::glmer (Bates, Maechler, Bolker & Walker 2015). Data: cbpp (Lesnoff et al. 2004),
# grouseticks (Elston et al. 2001) and VerbAgg (De Boeck & Wilson 2004) from lme4 (GPL >= 2);
# the trust-game, RMET-item and count studies are simulated here (set.seed).
#
# Polishing. glmer's default tolerances stop short of the optimum of its own deviance function,
# so every fit is refined on glmer's stage-2 deviance function (devFunOnly = TRUE, over
# c(theta, beta), PIRLS tolerance 1e-12): nlminb with tight tolerances, then Newton steps with
# numDeriv's Richardson-extrapolated gradient and Hessian (coordinates of theta on their zero
# bound stay there). Standard errors are those of lme4's vcov with use.hessian = TRUE, i.e. the
# beta block of 2 H^-1 with H the Hessian of the deviance over (theta, beta), here from numDeriv
# at the polished optimum (relative steps d = 0.01 with 4 Richardson steps: numDeriv's default
# d = 0.1 is too coarse for these surfaces, d = 1e-3 too noisy); lme4's own SEs (its finite-difference Hessian at its own stop) are
# written beside them as se_lme4.
suppressPackageStartupMessages({
  library(lme4)
  library(numDeriv)
  library(emmeans)
  library(glmmTMB)
})
options(digits = 15)

ctrl <- glmerControl(optimizer = "bobyqa", tolPwrss = 1e-12,
                     optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e5),
                     check.conv.singular = "ignore", check.conv.grad = "ignore")

out <- list()
put <- function(model, quantity, term, value) {
  out[[length(out) + 1]] <<- data.frame(model = model, quantity = quantity, term = term,
                                        value = value)
}

polish <- function(devfun, x, lower) {
  o <- nlminb(x, devfun, lower = lower,
              control = list(rel.tol = 1e-15, x.tol = 1e-12, eval.max = 1e4, iter.max = 1e4))
  if (o$objective <= devfun(x)) x <- o$par
  for (it in 1:8) {
    free <- !(lower == 0 & x < 1e-8)
    f <- function(z) { y <- x; y[free] <- z; devfun(y) }
    g <- numDeriv::grad(f, x[free])
    H <- numDeriv::hessian(f, x[free])
    step <- solve(H, g)
    xn <- x; xn[free] <- pmax(x[free] - step, lower[free])
    if (devfun(xn) < devfun(x)) x <- xn else break
    if (max(abs(step)) < 1e-10) break
  }
  x
}

reference <- function(name, formula, data, family, nAGQ = 1, extra = NULL) {
  fit <- glmer(formula, data = data, family = family, nAGQ = nAGQ, control = ctrl)
  devfun <- glmer(formula, data = data, family = family, nAGQ = nAGQ, control = ctrl,
                  devFunOnly = TRUE)
  theta <- getME(fit, "theta"); beta <- fixef(fit)
  nt <- length(theta)
  lower <- c(getME(fit, "lower"), rep(-Inf, length(beta)))
  x0 <- c(theta, beta)
  x <- polish(devfun, x0, lower)
  dev <- devfun(x)
  free <- !(lower == 0 & x < 1e-8)
  H <- numDeriv::hessian(function(z) { y <- x; y[free] <- z; devfun(y) }, x[free],
                         method.args = list(d = 0.01, r = 4))
  V <- 2 * solve(H)
  k <- sum(free[seq_len(nt)])
  vb <- V[k + seq_along(beta), k + seq_along(beta)]
  b <- x[nt + seq_along(beta)]
  se <- sqrt(diag(vb))
  tn <- names(theta)
  put(name, "theta", tn, x[seq_len(nt)])
  put(name, "beta", names(beta), b)
  put(name, "se", names(beta), se)
  put(name, "se_lme4", names(beta), sqrt(diag(as.matrix(vcov(fit)))))
  put(name, "beta_lme4", names(beta), beta)
  put(name, "theta_lme4", tn, theta)
  put(name, "deviance", "", dev)
  put(name, "deviance_lme4", "", devfun(x0))
  put(name, "n_obs", "", nrow(model.frame(fit)))
  cat(sprintf("%-16s deviance %.12f (bobyqa stop %.3g short); max |beta change| %.2g\n", name,
              dev, devfun(x0) - dev, max(abs(b - beta))))
  if (!is.null(extra)) extra(fit)
  invisible(fit)
}

# ---- cbpp: binomial with trials ----------------------------------------------------------------
write.csv(cbpp, "glmm_cbpp.csv", row.names = FALSE)
f_cbpp <- cbind(incidence, size - incidence) ~ period + (1 | herd)
cb <- reference("cbpp_laplace", f_cbpp, cbpp, binomial, 1, extra = function(fit) {
  em <- summary(emmeans(fit, ~period, type = "response"))
  put("cbpp_laplace", "emmean_prob", as.character(em$period), em$prob)
  put("cbpp_laplace", "emmean_se", as.character(em$period), em$SE)
  put("cbpp_laplace", "emmean_low", as.character(em$period), em$asymp.LCL)
  put("cbpp_laplace", "emmean_high", as.character(em$period), em$asymp.UCL)
  null <- glmer(cbind(incidence, size - incidence) ~ 1 + (1 | herd), cbpp, binomial,
                control = ctrl)
  full <- glmer(f_cbpp, cbpp, binomial, control = ctrl)
  a <- anova(null, full)
  put("cbpp_laplace", "lrt_chisq", "", a$Chisq[2])
  put("cbpp_laplace", "lrt_df", "", a$Df[2])
  put("cbpp_laplace", "lrt_p", "", a[["Pr(>Chisq)"]][2])
  cp <- confint(full, parm = "beta_", method = "profile")
  put("cbpp_laplace", "profile_low", rownames(cp), cp[, 1])
  put("cbpp_laplace", "profile_high", rownames(cp), cp[, 2])
  pr <- predict(fit, newdata = data.frame(period = factor(1:4)), re.form = NA, type = "response")
  put("cbpp_laplace", "predict_response", as.character(1:4), pr)
})
reference("cbpp_agq25", f_cbpp, cbpp, binomial, 25)
reference("cbpp_probit", f_cbpp, cbpp, binomial(link = "probit"), 1)

# ---- grouseticks: Poisson, three grouping factors (one per observation) -------------------------
gt <- grouseticks[, c("INDEX", "TICKS", "BROOD", "HEIGHT", "YEAR", "LOCATION")]
write.csv(gt, "glmm_grouseticks.csv", row.names = FALSE)
gt$cHEIGHT <- gt$HEIGHT - mean(gt$HEIGHT)
f_gt <- TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)
reference("grouseticks", f_gt, gt, poisson, 1)
# Cross-check: on this model (one random effect per observation) glmer's PIRLS stops short of the
# conditional modes even at tolPwrss = 1e-12, so its deviance function sits 4.7e-5 above the
# Laplace deviance. glmmTMB (Laplace approximation with TMB's inner Newton to convergence, tight
# nlminb) gives the optimum of the exact Laplace deviance; its values are the reference here.
tmb <- glmmTMB(f_gt, gt, poisson, control = glmmTMBControl(
  optCtrl = list(rel.tol = 1e-14, x.tol = 1e-12, eval.max = 1e4, iter.max = 1e4)))
sds <- sqrt(unlist(lapply(VarCorr(tmb)$cond, c)))
put("grouseticks", "tmb_sd", names(sds), sds)
put("grouseticks", "tmb_beta", names(fixef(tmb)$cond), fixef(tmb)$cond)
put("grouseticks", "tmb_se", names(fixef(tmb)$cond), sqrt(diag(vcov(tmb)$cond)))
put("grouseticks", "tmb_deviance", "", -2 * as.numeric(logLik(tmb)))

# ---- VerbAgg: binary, persons x items crossed ----------------------------------------------------
va <- VerbAgg[, c("id", "item", "Anger", "Gender", "btype", "situ", "r2")]
va$r2 <- as.integer(va$r2 == "Y")
write.csv(va, "glmm_verbagg.csv", row.names = FALSE)
reference("verbagg", r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item), va, binomial, 1)

# ---- simulated trust game: 30 subjects x 40 trials, crossed with 20 partners' faces -------------
set.seed(2029)
ns <- 30; nf <- 20
subj <- rep(seq_len(ns), each = 40)
face <- rep(rep(seq_len(nf), 2), ns)
oxt <- rep(rep(0:1, length.out = ns), each = 40)
face_trust <- as.numeric(scale(rnorm(nf)))[face]
u <- rnorm(ns, 0, 1)[subj]; us <- rnorm(ns, 0, 0.4)[subj]; v <- rnorm(nf, 0, 0.5)[face]
eta <- -0.2 + 0.4 * oxt + (0.6 + us) * face_trust + u + v
trust <- data.frame(subject = sprintf("s%02d", subj), face = sprintf("f%02d", face),
                    oxytocin = oxt, face_trust = face_trust,
                    choice = rbinom(length(eta), 1, plogis(eta)))
write.csv(trust, "glmm_trust.csv", row.names = FALSE)
reference("trust", choice ~ oxytocin * face_trust + (1 | subject) + (1 | face), trust, binomial)
reference("trust_probit", choice ~ oxytocin * face_trust + (1 | subject) + (1 | face), trust,
          binomial(link = "probit"))
reference("trust_slope", choice ~ oxytocin + face_trust + (face_trust | subject) + (1 | face),
          trust, binomial)
reference("trust_agq25", choice ~ oxytocin + face_trust + (1 | subject), trust, binomial, 25)

# ---- simulated RMET item study: 200 persons x 36 items -------------------------------------------
set.seed(36)
np_ <- 200; ni <- 36
pid <- rep(seq_len(np_), each = ni); item <- rep(seq_len(ni), np_)
oxy <- rep(rep(0:1, length.out = np_), each = ni)
e2 <- as.numeric(scale(rlnorm(np_, 4, 0.5)))[pid]
eta <- 1.0 + 0.2 * oxy + 0.1 * e2 + 0.15 * oxy * e2 + rnorm(np_, 0, 0.5)[pid] +
  rnorm(ni, 0, 0.8)[item]
rmet <- data.frame(subject = sprintf("p%03d", pid), item = sprintf("i%02d", item),
                   oxytocin = oxy, estradiol = e2, correct = rbinom(length(eta), 1, plogis(eta)))
write.csv(rmet, "glmm_rmet.csv", row.names = FALSE)
reference("rmet", correct ~ oxytocin * estradiol + (1 | subject) + (1 | item), rmet, binomial)

# ---- simulated counts with exposure: cooperative acts over varying observation time --------------
set.seed(7)
ns <- 60
sid <- rep(seq_len(ns), each = 8)
cond <- rep(rep(0:1, each = 4), ns)
minutes <- round(runif(length(sid), 5, 15), 1)
mu <- minutes * exp(-1.5 + 0.3 * cond + rnorm(ns, 0, 0.6)[sid])
acts <- data.frame(subject = sprintf("s%02d", sid), condition = cond, minutes = minutes,
                   acts = rpois(length(mu), mu))
write.csv(acts, "glmm_acts.csv", row.names = FALSE)
reference("acts", acts ~ condition + offset(log(minutes)) + (1 | subject), acts, poisson, 1)
reference("acts_agq25", acts ~ condition + offset(log(minutes)) + (1 | subject), acts, poisson,
          25)

write.csv(do.call(rbind, out), "glmm_values.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "glmm_R_sessionInfo.txt")
