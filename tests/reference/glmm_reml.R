# Reference values for hormonestats' restricted-likelihood (REML) fits of generalized mixed
# models: glmmTMB with REML = TRUE (the Laplace approximation of the likelihood with the fixed
# effects integrated out under a flat prior). Run from tests/reference/:  Rscript glmm_reml.R
# Needs R packages glmmTMB and TMB. Uses the data sets written by glmm.R (trust game, counts of
# acts) and glmm_nbinom.R (cooperative acts); writes glmm_reml_values.csv. The Python test suite
# never calls R.
#
# Polishing as in glmm_nbinom.R: nlminb, then Newton steps on TMB's objective (exact gradient,
# Hessian by optimHess) to a largest gradient component below 1e-8; the fixed effects are the
# modes of the joint inner problem there and their standard errors those of TMB::sdreport
# (which adds the uncertainty of the variance parameters carried through the modes).
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

reference <- function(name, formula, data, family) {
  fit <- suppressWarnings(glmmTMB(formula, data = data, family = family, REML = TRUE,
                                  control = ctrl))
  obj <- fit$obj
  p <- fit$fit$par
  for (it in 1:20) {
    g <- obj$gr(p)
    if (max(abs(g)) < 1e-8) break
    p <- p - solve(optimHess(p, obj$fn, obj$gr), as.numeric(g))
  }
  grad <- max(abs(obj$gr(p)))
  sdr <- sdreport(obj, par.fixed = p)
  b <- summary(sdr, "random")
  b <- b[rownames(b) == "beta", , drop = FALSE]
  nb <- names(fixef(fit)$cond)
  put(name, "beta", nb, b[, 1])
  put(name, "se", nb, b[, 2])
  put(name, "sd", names(fit$modelInfo$reTrms$cond$cnms), exp(p[names(p) == "theta"]))
  if (any(names(p) == "betad") && family$family != "binomial" && family$family != "poisson")
    put(name, "nb_theta", "", exp(p[names(p) == "betad"]))
  put(name, "criterion", "", 2 * obj$fn(p))
  put(name, "max_gradient", "", grad)
  cat(sprintf("%-10s REML criterion %.10f max|grad| %.2g\n", name, 2 * obj$fn(p), grad))
}

trust <- read.csv("glmm_trust.csv")
reference("trust", choice ~ oxytocin * face_trust + (1 | subject) + (1 | face), trust, binomial())
acts <- read.csv("glmm_acts.csv")
reference("acts", acts ~ condition + offset(log(minutes)) + (1 | subject), acts, poisson())
coop <- read.csv("glmm_nbinom_coop.csv")
reference("coop", acts ~ oxytocin + offset(log(minutes)) + (1 | subject) + (1 | partner), coop,
          nbinom2())

write.csv(do.call(rbind, out), "glmm_reml_values.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "glmm_reml_R_sessionInfo.txt")
