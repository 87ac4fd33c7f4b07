# Reference values for the item-level RMET hypothesis ("estradiol_oxytocin_items") on the bundled
# example study. Run from tests/reference/:  Rscript rmet_items.R
# Needs R packages lme4, numDeriv and glmmTMB. The Python test suite never calls R.
#
# The item table is built here, independently of hormonestats' scoring: the bundled example
# study's RMET responses (responses.csv) scored against its answer key (rmet_key.csv), one row
# per participant x item of the key, 1 correct / 0 another option / NA skipped or absent. The
# participant-level predictors come from rmet_items_subjects.csv: the oxytocin arm (1/0) and
# the natural-log estradiol of hormonestats' processed analysis table (hs.process_study), the
# file the Python test checks against a fresh processing run.
#
# Model: correct ~ oxytocin_arm * log_estradiol_c + (1 | subject_id) + (1 | item), binomial
# logit, Laplace (lme4::glmer; Bates, Maechler, Bolker & Walker 2015), with log estradiol centred
# at the mean of the participants analysed (complete predictors and at least one answered item).
#
# Polishing, as glmm.R: glmer (bobyqa, tight tolerances) is refined on its own stage-2 deviance
# function (devFunOnly = TRUE, over c(theta, beta)) by nlminb and Newton steps with numDeriv's
# Richardson gradient and Hessian; SEs from 2 H^-1 of that Hessian at the polished optimum
# (relative step d = 0.01, 4 Richardson steps). glmmTMB (Brooks et al. 2017) with tight nlminb
# tolerances gives the exact Laplace optimum (see below). Simple slopes of log estradiol per arm
# are contrasts of glmmTMB's coefficients; the slope on the probability scale at the centre
# (random effects zero) has its gradient over beta from numDeriv (a numerical derivative, not
# hormonestats' analytic one) for its delta-method SE.
suppressPackageStartupMessages({
  library(lme4)
  library(numDeriv)
  library(glmmTMB)
})
options(digits = 15)

root <- file.path("..", "..", "hormonestats", "datasets", "example_study")
resp <- read.csv(file.path(root, "responses.csv"), stringsAsFactors = FALSE)
key <- read.csv(file.path(root, "rmet_key.csv"))
people <- read.csv("rmet_items_subjects.csv", stringsAsFactors = FALSE)

r <- resp[resp$instrument == "rmet", c("subject_id", "item", "response")]
r$item <- as.integer(r$item)
grid <- expand.grid(item = key$item, subject_id = unique(r$subject_id),
                    stringsAsFactors = FALSE)
d <- merge(grid, r, by = c("subject_id", "item"), all.x = TRUE)
d$correct <- as.integer(d$response == key$correct[match(d$item, key$item)])
d <- merge(d, people, by = "subject_id", all.x = TRUE)
keep <- complete.cases(d[, c("correct", "oxytocin_arm", "log_estradiol")])
analysed <- unique(d$subject_id[keep])
centre <- mean(people$log_estradiol[people$subject_id %in% analysed])
d <- d[keep, ]
d$log_estradiol_c <- d$log_estradiol - centre
d$item <- factor(d$item)
d$subject_id <- factor(d$subject_id)

ctrl <- glmerControl(optimizer = "bobyqa", tolPwrss = 1e-12,
                     optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e5),
                     check.conv.singular = "ignore", check.conv.grad = "ignore")
f <- correct ~ oxytocin_arm * log_estradiol_c + (1 | subject_id) + (1 | item)
fit <- glmer(f, data = d, family = binomial, control = ctrl)
devfun <- glmer(f, data = d, family = binomial, control = ctrl, devFunOnly = TRUE)

polish <- function(devfun, x, lower) {
  o <- nlminb(x, devfun, lower = lower,
              control = list(rel.tol = 1e-15, x.tol = 1e-12, eval.max = 1e4, iter.max = 1e4))
  if (o$objective <= devfun(x)) x <- o$par
  for (it in 1:8) {
    free <- !(lower == 0 & x < 1e-8)
    g <- numDeriv::grad(function(z) { y <- x; y[free] <- z; devfun(y) }, x[free])
    H <- numDeriv::hessian(function(z) { y <- x; y[free] <- z; devfun(y) }, x[free])
    step <- solve(H, g)
    xn <- x; xn[free] <- pmax(x[free] - step, lower[free])
    if (devfun(xn) < devfun(x)) x <- xn else break
    if (max(abs(step)) < 1e-10) break
  }
  x
}

theta0 <- getME(fit, "theta"); beta0 <- fixef(fit)
nt <- length(theta0)
lower <- c(getME(fit, "lower"), rep(-Inf, length(beta0)))
x <- polish(devfun, c(theta0, beta0), lower)
H <- numDeriv::hessian(devfun, x, method.args = list(d = 0.01, r = 4))
V <- 2 * solve(H)

# glmmTMB: the Laplace approximation with TMB's inner Newton iterated to convergence. On these
# data glmer's PIRLS stops short of the conditional modes, so its deviance function sits about
# 8e-5 above the exact Laplace deviance (as on grouseticks, glmm.R), and its polished optimum is
# about 3e-4 SE from the exact one. glmmTMB's values are the reference; the polished glmer values
# are written beside them (glmer_*), with glmer's deviance function at glmmTMB's optimum.
tmb <- glmmTMB(f, d, binomial, control = glmmTMBControl(
  optCtrl = list(rel.tol = 1e-12, x.tol = 1e-10, eval.max = 1e4, iter.max = 1e4)))
b <- fixef(tmb)$cond
vb <- as.matrix(vcov(tmb)$cond)
vars <- unlist(lapply(VarCorr(tmb)$cond, c))

out <- list()
put <- function(quantity, term, value) {
  out[[length(out) + 1]] <<- data.frame(quantity = quantity, term = term, value = value)
}
put("beta", names(b), b)
put("se", names(b), sqrt(diag(vb)))
put("variance", names(vars), vars)
put("deviance", "", -2 * as.numeric(logLik(tmb)))
bg <- x[nt + seq_along(beta0)]
put("glmer_beta", names(beta0), bg)
put("glmer_se", names(beta0), sqrt(diag(V[nt + seq_along(beta0), nt + seq_along(beta0)])))
put("glmer_variance", sub("\\..*$", "", names(theta0)), x[seq_len(nt)]^2)  # theta: the SDs
put("glmer_deviance", "", devfun(x))
put("glmer_deviance_lme4_stop", "", devfun(c(theta0, beta0)))
put("glmer_deviance_at_tmb", "", devfun(c(sqrt(vars[sub("\\..*$", "", names(theta0))]), b)))
put("n_obs", "", nrow(d))
put("n_subjects", "", length(analysed))
put("centre", "", centre)
put("mean_correct", "", mean(d$correct))
for (a in 0:1) {
  L <- c(0, 0, 1, a)
  put("slope_logit", as.character(a), sum(L * b))
  put("slope_logit_se", as.character(a), sqrt(drop(t(L) %*% vb %*% L)))
  sp <- function(beta) {
    p <- plogis(beta[1] + a * beta[2])
    p * (1 - p) * (beta[3] + a * beta[4])
  }
  g <- numDeriv::grad(sp, b)
  put("probability", as.character(a), plogis(b[1] + a * b[2]))
  put("slope_probability", as.character(a), sp(b))
  put("slope_probability_se", as.character(a), sqrt(drop(t(g) %*% vb %*% g)))
}
res <- do.call(rbind, out)
rownames(res) <- NULL
write.csv(res, "rmet_items_values.csv", row.names = FALSE)
cat(sprintf("glmmTMB deviance %.10f; polished glmer %.10f (bobyqa stop %.3g short); glmer's
deviance function at glmmTMB's optimum %.10f\n", -2 * as.numeric(logLik(tmb)), devfun(x),
            devfun(c(theta0, beta0)) - devfun(x),
            devfun(c(sqrt(vars[sub("\\..*$", "", names(theta0))]), b))))
print(res)
writeLines(capture.output(sessionInfo()), "rmet_items_R_sessionInfo.txt")
