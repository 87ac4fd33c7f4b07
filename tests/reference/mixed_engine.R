# Reference values for hormonestats' mixed-model engine (penalised least squares, lme4 formulas).
# Run from tests/reference/:  Rscript mixed_engine.R
# Needs R packages lme4, lmerTest, pbkrtest, emmeans, nlme. Writes the data sets it uses (so Python
# fits the very same numbers) and the R estimates beside them. The Python test suite never calls R.
#
# Sources: lme4 (Bates, Maechler, Bolker & Walker 2015), lmerTest Satterthwaite df (Kuznetsova,
# Brockhoff & Christensen 2017), pbkrtest Kenward-Roger (Halekoh & Hojsgaard 2014), emmeans
# (Lenth). Data: sleepstudy (Belenky et al. 2003), Penicillin and Pastes (Davies & Goldsmith 1972)
# from lme4; Orthodont (Potthoff & Roy 1964) and Machines (Milliken & Johnson 1992) from nlme.
suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(pbkrtest)
  library(emmeans)
})
options(digits = 15)

# tight convergence: bobyqa to rhoend 1e-12, then a second bobyqa run from the optimum
tight <- lmerControl(
  optimizer = "bobyqa",
  optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e6),
  check.conv.singular = "ignore", calc.derivs = FALSE
)
fit_tight <- function(formula, data, REML = TRUE) {
  f1 <- lmerTest::lmer(formula, data = data, REML = REML, control = tight)
  # restart from the optimum (guards against an early stop)
  lmerTest::lmer(formula, data = data, REML = REML, control = tight, start = getME(f1, "theta"))
}

fixed_table <- function(fit) {
  s <- summary(fit, ddf = "Satterthwaite")$coefficients
  data.frame(
    term = rownames(s), estimate = s[, "Estimate"], std_error = s[, "Std. Error"],
    df = s[, "df"], statistic = s[, "t value"], p_value = s[, "Pr(>|t|)"],
    row.names = NULL
  )
}

vc_table <- function(fit) {
  v <- as.data.frame(VarCorr(fit))
  data.frame(grp = v$grp, var1 = v$var1, var2 = v$var2, vcov = v$vcov, sdcor = v$sdcor)
}

kr_table <- function(fit) {
  V <- vcovAdj(fit)
  p <- length(fixef(fit))
  df <- sapply(seq_len(p), function(i) {
    L <- matrix(0, 1, p); L[1, i] <- 1
    Lb_ddf(L, as.matrix(vcov(fit)), V)
  })
  data.frame(term = names(fixef(fit)), kr_std_error = sqrt(diag(as.matrix(V))), kr_df = df)
}

write_fit <- function(name, formula, data, kr = FALSE) {
  fm <- fit_tight(formula, data, REML = TRUE)
  ml <- fit_tight(formula, data, REML = FALSE)
  fx <- fixed_table(fm)
  if (kr) fx <- merge(fx, kr_table(fm), by = "term", sort = FALSE)
  write.csv(fx, paste0("mixed_engine_", name, "_fixed.csv"), row.names = FALSE)
  write.csv(vc_table(fm), paste0("mixed_engine_", name, "_varcorr.csv"), row.names = FALSE)
  write.csv(vc_table(ml), paste0("mixed_engine_", name, "_ml_varcorr.csv"), row.names = FALSE)
  write.csv(fixed_table(ml), paste0("mixed_engine_", name, "_ml_fixed.csv"), row.names = FALSE)
  write.csv(data.frame(
    reml_criterion = REMLcrit(fm), ml_deviance = deviance(ml),
    sigma = sigma(fm), singular = isSingular(fm), n_theta = length(getME(fm, "theta"))
  ), paste0("mixed_engine_", name, "_extra.csv"), row.names = FALSE)
  invisible(fm)
}

# 1. sleepstudy: correlated and uncorrelated random slopes
write.csv(lme4::sleepstudy, "mixed_engine_sleepstudy.csv", row.names = FALSE)
write_fit("sleep", Reaction ~ Days + (Days | Subject), sleepstudy, kr = TRUE)
write_fit("sleep_uncor", Reaction ~ Days + (Days || Subject), sleepstudy)

# 2. Orthodont: categorical Sex (Male reference), random intercept and age slope
data("Orthodont", package = "nlme")
orth <- data.frame(distance = Orthodont$distance, age = Orthodont$age,
                   Subject = as.character(Orthodont$Subject), Sex = as.character(Orthodont$Sex))
write.csv(orth, "mixed_engine_orthodont.csv", row.names = FALSE)
orth$Sex <- factor(orth$Sex, levels = c("Male", "Female"))
fo <- write_fit("orthodont", distance ~ age * Sex + (age | Subject), orth, kr = TRUE)
fo1 <- write_fit("orthodont_ri", distance ~ age + Sex + (1 | Subject), orth, kr = TRUE)

# 3. Penicillin: crossed random intercepts
write.csv(lme4::Penicillin, "mixed_engine_penicillin.csv", row.names = FALSE)
write_fit("penicillin", diameter ~ 1 + (1 | plate) + (1 | sample), Penicillin)

# 4. Pastes: nested random intercepts
pastes <- data.frame(strength = Pastes$strength, batch = as.character(Pastes$batch),
                     cask = as.character(Pastes$cask))
write.csv(pastes, "mixed_engine_pastes.csv", row.names = FALSE)
write_fit("pastes", strength ~ 1 + (1 | batch / cask), pastes)

# 5. Machines: categorical fixed effect, Worker and Worker:Machine random intercepts
data("Machines", package = "nlme")
mach <- data.frame(score = Machines$score, Worker = as.character(Machines$Worker),
                   Machine = as.character(Machines$Machine))
write.csv(mach, "mixed_engine_machines.csv", row.names = FALSE)
fmach <- write_fit("machines", score ~ Machine + (1 | Worker / Machine), mach, kr = TRUE)
em <- emmeans(fmach, ~ Machine, lmer.df = "satterthwaite")
write.csv(as.data.frame(summary(em)), "mixed_engine_machines_emmeans.csv", row.names = FALSE)
pw <- as.data.frame(summary(pairs(em, reverse = TRUE), adjust = "none"))
write.csv(pw, "mixed_engine_machines_pairs.csv", row.names = FALSE)
emk <- emmeans(fmach, ~ Machine, lmer.df = "kenward-roger")
write.csv(as.data.frame(summary(emk)), "mixed_engine_machines_emmeans_kr.csv", row.names = FALSE)

# 6. simulated subjects x plates: random slope per subject, plate intercepts, 3-level group
set.seed(20261201)
n_sub <- 60; n_obs <- 6; n_plate <- 8
subject <- rep(sprintf("s%02d", seq_len(n_sub)), each = n_obs)
group <- rep(sample(c("control", "low", "high"), n_sub, replace = TRUE), each = n_obs)
plate <- sprintf("P%d", sample(seq_len(n_plate), n_sub * n_obs, replace = TRUE))
x <- rnorm(n_sub * n_obs)
u0 <- rep(rnorm(n_sub, 0, 1), each = n_obs); u1 <- rep(rnorm(n_sub, 0, 0.4), each = n_obs)
v <- rnorm(n_plate, 0, 0.7)[as.integer(sub("P", "", plate))]
geff <- c(control = 0, low = 0.4, high = 0.9)[group]
y <- 2 + (0.5 + u1) * x + geff + u0 + v + rnorm(n_sub * n_obs, 0, 0.8)
plates <- data.frame(subject = subject, plate = plate, group = group, x = x, y = y)
write.csv(plates, "mixed_engine_plates.csv", row.names = FALSE)
plates$group <- factor(plates$group, levels = c("control", "low", "high"))
fp <- write_fit("plates", y ~ x + group + (x | subject) + (1 | plate), plates)
emp <- emmeans(fp, ~ group, lmer.df = "satterthwaite")
write.csv(as.data.frame(summary(emp)), "mixed_engine_plates_emmeans.csv", row.names = FALSE)
write.csv(as.data.frame(summary(pairs(emp, reverse = TRUE), adjust = "none")),
          "mixed_engine_plates_pairs.csv", row.names = FALSE)
# likelihood-ratio test between nested ML fits (anova refits with ML)
small <- fit_tight(y ~ x + (x | subject) + (1 | plate), plates, REML = FALSE)
big <- fit_tight(y ~ x + group + (x | subject) + (1 | plate), plates, REML = FALSE)
a <- anova(small, big, refit = FALSE)
write.csv(data.frame(chisq = a$Chisq[2], df = a$Df[2], p_value = a[["Pr(>Chisq)"]][2],
                     small_deviance = deviance(small), big_deviance = deviance(big)),
          "mixed_engine_plates_lrt.csv", row.names = FALSE)
# a*b interaction with the categorical group and a:b product
fi <- write_fit("plates_inter", y ~ x * group + (1 | subject) + (1 | plate), plates)

# 7. two random slopes per subject (3 x 3 unstructured covariance)
set.seed(20261202)
n_sub <- 50; n_obs <- 8
subject <- rep(sprintf("t%02d", seq_len(n_sub)), each = n_obs)
x <- rnorm(n_sub * n_obs); z <- rnorm(n_sub * n_obs)
b0 <- rep(rnorm(n_sub, 0, 1), each = n_obs)
b1 <- rep(rnorm(n_sub, 0, 0.5), each = n_obs)
b2 <- rep(rnorm(n_sub, 0, 0.4), each = n_obs)
y <- 1 + (0.4 + b1) * x + (-0.3 + b2) * z + b0 + rnorm(n_sub * n_obs, 0, 0.7)
slopes2 <- data.frame(subject = subject, x = x, z = z, y = y)
write.csv(slopes2, "mixed_engine_slopes2.csv", row.names = FALSE)
write_fit("slopes2", y ~ x + z + (x + z | subject), slopes2, kr = TRUE)

writeLines(capture.output(sessionInfo()), "mixed_engine_R_sessionInfo.txt")
