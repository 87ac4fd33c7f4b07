# Reference values for hormonestats' negative binomial mixed models (family = "negative_binomial",
# glmmTMB's nbinom2: variance mu + mu^2 / theta, log link, Laplace approximation).
# Run from tests/reference/:  Rscript glmm_nbinom.R
# Needs R package glmmTMB. Writes the simulated data set it uses (so Python fits the very same
# numbers) and the estimates in long form in glmm_nbinom_values.csv. The Python test suite never
# calls R.
#
# Sources: glmmTMB (Brooks et al. 2017), Laplace approximation by TMB (Kristensen et al. 2016).
# Data: Salamanders from glmmTMB (Price et al. 2016; GPL-3), and a simulated study of counts of
# cooperative acts (persons crossed with partners, varying observation time; set.seed below).
# Polishing: nlminb (tolerances 1e-12) stops with gradients up to 1e-3, so every fit is refined by
# Newton steps on TMB's own objective (its exact gradient, the Hessian from optimHess of that
# gradient) until the largest gradient component is below 1e-8; the estimates, standard errors
# (TMB::sdreport at the polished point) and log-likelihood are taken there.
suppressPackageStartupMessages({
  library(glmmTMB)
  library(TMB)
})
options(digits = 15)

ctrl <- glmmTMBControl(optCtrl = list(rel.tol = 1e-12, x.tol = 1e-10, eval.max = 1e4,
                                      iter.max = 1e4))
out <- list()
put <- function(model, quantity, term, value) {
  out[[length(out) + 1]] <<- data.frame(model = model, quantity = quantity, term = term,
                                        value = value)
}

reference <- function(name, formula, data) {
  t0 <- proc.time()[["elapsed"]]
  fit <- glmmTMB(formula, data = data, family = nbinom2, control = ctrl)
  elapsed <- proc.time()[["elapsed"]] - t0
  obj <- fit$obj
  p <- fit$fit$par
  for (it in 1:20) {
    g <- obj$gr(p)
    if (max(abs(g)) < 1e-8) break
    H <- optimHess(p, obj$fn, obj$gr)
    p <- p - solve(H, as.numeric(g))
  }
  grad <- max(abs(obj$gr(p)))
  sdr <- sdreport(obj, par.fixed = p)
  nb <- names(p) == "beta"
  b <- p[nb]
  names(b) <- names(fixef(fit)$cond)
  put(name, "beta", names(b), b)
  put(name, "se", names(b), sqrt(diag(sdr$cov.fixed))[nb])
  put(name, "sd", names(fit$modelInfo$reTrms$cond$cnms), exp(p[names(p) == "theta"]))
  put(name, "nb_theta", "", exp(p[names(p) == "betad"]))
  ll <- -obj$fn(p)
  put(name, "loglik", "", ll)
  put(name, "loglik_glmmTMB", "", as.numeric(logLik(fit)))
  put(name, "max_gradient", "", grad)
  cat(sprintf("%-16s logLik %.10f (nlminb %.3g short) theta %.8f max|grad| %.2g (%.3f s)\n",
              name, ll, ll - as.numeric(logLik(fit)), exp(p[names(p) == "betad"]), grad,
              elapsed))
  invisible(fit)
}

# ---- Salamanders: counts by site ------------------------------------------------------------
sal <- Salamanders[, c("site", "mined", "spp", "count")]
write.csv(sal, "glmm_nbinom_salamanders.csv", row.names = FALSE)
reference("salamanders", count ~ mined + (1 | site), sal)
reference("salamanders_spp", count ~ mined + spp + (1 | site), sal)

# ---- simulated cooperative acts: 40 persons x 12 partners crossed, exposure in minutes --------
set.seed(2911)
np_ <- 40; nq <- 12
pid <- rep(seq_len(np_), each = nq); partner <- rep(seq_len(nq), np_)
oxt <- rep(rep(0:1, length.out = np_), each = nq)
minutes <- round(runif(length(pid), 5, 15), 1)
mu <- minutes * exp(-1.2 + 0.35 * oxt + rnorm(np_, 0, 0.5)[pid] + rnorm(nq, 0, 0.3)[partner])
coop <- data.frame(subject = sprintf("s%02d", pid), partner = sprintf("q%02d", partner),
                   oxytocin = oxt, minutes = minutes,
                   acts = rnbinom(length(mu), size = 1.5, mu = mu))
write.csv(coop, "glmm_nbinom_coop.csv", row.names = FALSE)
reference("coop", acts ~ oxytocin + offset(log(minutes)) + (1 | subject) + (1 | partner), coop)

write.csv(do.call(rbind, out), "glmm_nbinom_values.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "glmm_nbinom_R_sessionInfo.txt")
