# Reference optima for hormonestats' mixed-model optimiser on R data sets with hard likelihood
# surfaces (boundary fits, correlations at -1, random-effect scales far apart).
# Run from tests/reference/:  Rscript mixed_optimum.R
# Needs R packages lme4, lmerTest, nlme. Writes the data sets it uses and the reference values;
# the Python test suite never calls R.
#
# How the reference optimum is found (lme4's default tolerances stop short on some of these):
#   1. lmer with bobyqa (rhoend 1e-12) and with nloptwrap (xtol_abs 1e-14, ftol_abs 1e-15),
#   2. nlminb (rel.tol 1e-15) on lme4's own profiled deviance function (mkLmerDevfun, the
#      function `lmer(..., devFunOnly = TRUE)` returns) from the better of the two,
#   3. keep the lowest criterion; lmerTest::lmer is evaluated at exactly that theta (an optimiser
#      function that returns its start) and gives the estimates and Satterthwaite df there.
# The spread of the three optimisers' criteria is written too (agreement of independent
# optimisers).
#
# Data: ChickWeight (Crowder & Hand 1990; R datasets), Dyestuff2 (Box & Tiao 1973; lme4),
# Indometh (Kwan, Breault, Umbenhauer, McMahon & Duggan 1976; R datasets), BodyWeight (Hand &
# Crowder 1996; nlme), Oxboys (Goldstein 1987; nlme).
suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(nlme)
})
options(digits = 15)

ctl_bobyqa <- lmerControl(
  optimizer = "bobyqa", optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e6),
  check.conv.singular = "ignore", calc.derivs = FALSE
)
ctl_nlopt <- lmerControl(
  optimizer = "nloptwrap",
  optCtrl = list(xtol_abs = 1e-14, ftol_abs = 1e-15, xtol_rel = 0, ftol_rel = 0, maxeval = 1e6),
  check.conv.singular = "ignore", calc.derivs = FALSE
)

stay <- function(fn, par, lower, upper, control) {
  list(par = par, fval = fn(par), conv = 0, message = "evaluated at the polished optimum")
}

polished_fit <- function(formula, data, REML) {
  f1 <- lme4::lmer(formula, data = data, REML = REML, control = ctl_bobyqa)
  f2 <- lme4::lmer(formula, data = data, REML = REML, control = ctl_nlopt)
  lf <- lFormula(formula, data = data, REML = REML)
  devfun <- do.call(mkLmerDevfun, lf)
  lower <- lf$reTrms$lower
  crit <- c(bobyqa = deviance(f1, REML = REML), nloptwrap = deviance(f2, REML = REML))
  if (REML) crit <- c(bobyqa = REMLcrit(f1), nloptwrap = REMLcrit(f2))
  start <- if (crit[1] <= crit[2]) getME(f1, "theta") else getME(f2, "theta")
  opt <- nlminb(start, devfun, lower = lower,
                control = list(rel.tol = 1e-15, x.tol = 1e-14, eval.max = 1e5, iter.max = 1e5))
  crit <- c(crit, nlminb = opt$objective)
  best <- list(bobyqa = getME(f1, "theta"), nloptwrap = getME(f2, "theta"), nlminb = opt$par)
  which_best <- names(which.min(crit))
  theta <- best[[which_best]]
  # the merMod at exactly that theta: lmerTest::lmer with an "optimiser" that stays at the start
  fit <- lmerTest::lmer(formula, data = data, REML = REML, start = theta,
                        control = lmerControl(optimizer = stay, calc.derivs = FALSE,
                                              check.conv.singular = "ignore"))
  list(fit = fit, crit = crit, best = which_best, theta = theta)
}

rows <- list()
add <- function(dataset, reml, quantity, term, value) {
  rows[[length(rows) + 1]] <<- data.frame(dataset = dataset, reml = reml, quantity = quantity,
                                          term = term, value = value)
}

reference <- function(name, formula, data) {
  for (REML in c(TRUE, FALSE)) {
    r <- polished_fit(formula, data, REML)
    fit <- r$fit
    crit <- if (REML) REMLcrit(fit) else deviance(fit)
    add(name, REML, "criterion", "", crit)
    add(name, REML, "optimiser_spread", "", max(r$crit) - min(r$crit))
    add(name, REML, "default_lmer_criterion", "",
        { d <- lme4::lmer(formula, data = data, REML = REML)
          if (REML) REMLcrit(d) else deviance(d) })
    th <- r$theta
    for (i in seq_along(th)) add(name, REML, "theta", names(getME(fit, "theta"))[i], th[i])
    add(name, REML, "sigma", "", sigma(fit))
    s <- summary(fit, ddf = "Satterthwaite")$coefficients
    for (t in rownames(s)) {
      add(name, REML, "estimate", t, s[t, "Estimate"])
      add(name, REML, "std_error", t, s[t, "Std. Error"])
      add(name, REML, "df", t, s[t, "df"])
    }
    v <- as.data.frame(VarCorr(fit))
    for (i in seq_len(nrow(v))) {
      lab <- paste(v$grp[i], v$var1[i], ifelse(is.na(v$var2[i]), "", v$var2[i]), sep = "|")
      add(name, REML, "vcov", lab, v$vcov[i])
    }
    add(name, REML, "singular", "", as.numeric(isSingular(fit)))
  }
}

# 1. ChickWeight: lme4's default stops early is not the issue; hormonestats' first optimiser
#    run could stop on the boundary (correlation -1, REML criterion 4782.138 > 4781.521)
cw <- data.frame(weight = ChickWeight$weight, Time = ChickWeight$Time,
                 Chick = as.character(ChickWeight$Chick), Diet = as.character(ChickWeight$Diet))
write.csv(cw, "mixed_optimum_chickweight.csv", row.names = FALSE)
reference("chickweight", weight ~ Time * Diet + (Time | Chick), cw)

# 2. Dyestuff2: the between-batch variance is estimated at zero (singular)
write.csv(data.frame(Yield = Dyestuff2$Yield, Batch = as.character(Dyestuff2$Batch)),
          "mixed_optimum_dyestuff2.csv", row.names = FALSE)
reference("dyestuff2", Yield ~ 1 + (1 | Batch), Dyestuff2)

# 3. Indometh up to 2 h: the intercept-slope correlation is estimated at -1 (boundary)
ind <- as.data.frame(Indometh)
ind <- data.frame(conc = ind$conc, time = ind$time, Subject = as.character(ind$Subject))
ind <- ind[ind$time <= 2, ]
write.csv(ind, "mixed_optimum_indometh.csv", row.names = FALSE)
reference("indometh", conc ~ time + (time | Subject), ind)

# 4. BodyWeight: random intercept SD ~150 times the slope SD (badly scaled theta)
bw <- data.frame(weight = BodyWeight$weight, Time = BodyWeight$Time,
                 Rat = as.character(BodyWeight$Rat), Diet = as.character(BodyWeight$Diet))
write.csv(bw, "mixed_optimum_bodyweight.csv", row.names = FALSE)
reference("bodyweight", weight ~ Time * Diet + (Time | Rat), bw)

# 5. Oxboys: large relative variances (theta ~ 12), correlation 0.64
ox <- data.frame(height = Oxboys$height, age = Oxboys$age, Subject = as.character(Oxboys$Subject))
write.csv(ox, "mixed_optimum_oxboys.csv", row.names = FALSE)
reference("oxboys", height ~ age + (age | Subject), ox)

out <- do.call(rbind, rows)
write.csv(out, "mixed_optimum_reference.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "mixed_optimum_R_sessionInfo.txt")
