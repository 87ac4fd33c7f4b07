# Reference values for hormonestats' pooling of multiply imputed analyses (Rubin's rules).
# Run from tests/reference/:  Rscript imputation.R
# Needs R packages mice, mitml and lme4. The completed data sets are written out, so Python fits
# its models on the very same numbers and pools them; the R pooled values are written beside.
# The Python test suite never calls R.
#
# Sources: mice (van Buuren & Groothuis-Oudshoorn 2011) pool() with the Barnard & Rubin (1999)
# degrees of freedom; mitml (Grund, Robitzsch & Luedtke) testEstimates() and testModels() with
# the D1 (Li, Raghunathan & Rubin 1991; Reiter 2007 small-sample df), D2 (Li, Meng, Raghunathan &
# Rubin 1991) and D3 (Meng & Rubin 1992) statistics. Data: nhanes and nhanes2 from mice
# (Schafer 1997), studentratings from mitml; mice and mitml are GPL (>= 2).
suppressPackageStartupMessages({
  library(mice)
  library(mitml)
  library(lme4)
})

num17 <- function(df) {
  for (nm in names(df)) if (is.numeric(df[[nm]])) df[[nm]] <- sprintf("%.17g", df[[nm]])
  df
}
out <- function(df, file) write.csv(num17(df), file, row.names = FALSE, quote = TRUE)

pooled_table <- function(p) {
  d <- p$pooled
  data.frame(term = as.character(d$term), m = d$m, estimate = d$estimate, ubar = d$ubar,
             b = d$b, t = d$t, dfcom = d$dfcom, df = d$df, riv = d$riv, lambda = d$lambda,
             fmi = d$fmi, std_error = sqrt(d$t))
}

completed <- function(imp) {
  long <- complete(imp, "long")
  long$.id <- NULL
  long
}

# ---------------------------------------------------------------- nhanes: linear model
imp1 <- mice(nhanes, m = 5, seed = 123, print = FALSE)
out(completed(imp1), "mi_nhanes_completed.csv")
fit1 <- with(imp1, lm(chl ~ age + bmi))
out(pooled_table(pool(fit1)), "mi_nhanes_lm_pool.csv")

# ---------------------------------------------------------------- nhanes2: linear and logistic
imp2 <- mice(nhanes2, m = 10, seed = 2026, print = FALSE)
long2 <- completed(imp2)
long2$hyp <- as.integer(long2$hyp == "yes")
out(long2, "mi_nhanes2_completed.csv")
fit2 <- with(imp2, lm(chl ~ age + bmi))
out(pooled_table(pool(fit2)), "mi_nhanes2_lm_pool.csv")
# logistic regression fitted to full convergence (glm's default stops at a deviance change 1e-8)
fit3 <- with(imp2, glm(hyp ~ bmi + chl, family = binomial,
                       control = glm.control(epsilon = 1e-14, maxit = 100)))
out(pooled_table(pool(fit3)), "mi_nhanes2_glm_pool.csv")

# multi-parameter tests: age (two dummies) in the linear model, bmi and chl in the logistic one
fits1 <- as.mitml.result(fit2)
fits0 <- as.mitml.result(with(imp2, lm(chl ~ bmi)))
gl1 <- as.mitml.result(fit3)
gl0 <- as.mitml.result(with(imp2, glm(hyp ~ 1, family = binomial,
                                      control = glm.control(epsilon = 1e-14, maxit = 100))))
row <- function(model, name, tm) {
  data.frame(model = model, test = name, statistic = tm$test[1, "F.value"],
             df1 = tm$test[1, "df1"], df2 = tm$test[1, "df2"], p_value = tm$test[1, "P(>F)"],
             riv = tm$test[1, "RIV"])
}
dfcom_lm <- df.residual(getfit(fit2, 1))
dfcom_glm <- df.residual(getfit(fit3, 1))
tests <- rbind(
  row("lm", "D1", testModels(fits1, fits0, method = "D1")),
  row("lm", "D1_dfcom", testModels(fits1, fits0, method = "D1", df.com = dfcom_lm)),
  row("lm", "D2_wald", testModels(fits1, fits0, method = "D2", use = "wald")),
  row("lm", "D2_likelihood", testModels(fits1, fits0, method = "D2", use = "likelihood")),
  row("lm", "D3", testModels(fits1, fits0, method = "D3")),
  row("glm", "D1", testModels(gl1, gl0, method = "D1")),
  row("glm", "D1_dfcom", testModels(gl1, gl0, method = "D1", df.com = dfcom_glm)),
  row("glm", "D2_wald", testModels(gl1, gl0, method = "D2", use = "wald")),
  row("glm", "D2_likelihood", testModels(gl1, gl0, method = "D2", use = "likelihood"))
)
# mice's own D1 (mitml's D1 with the complete-data df of the larger model) as a cross-check
md1 <- mice::D1(fit2, with(imp2, lm(chl ~ bmi)))
tests <- rbind(tests, data.frame(model = "lm", test = "mice_D1", statistic = md1$result[1, 1],
                                 df1 = md1$result[1, 2], df2 = md1$result[1, 3],
                                 p_value = md1$result[1, 4], riv = md1$result[1, 5]))
tests$dfcom <- ifelse(tests$model == "lm", dfcom_lm, dfcom_glm)
out(tests, "mi_nhanes2_tests.csv")

# ---------------------------------------------------------------- random intercepts (mitml)
data(studentratings)
sr <- studentratings[, c("ID", "ReadAchiev", "ReadDis", "SES", "CognAbility")]
pred <- make.predictorMatrix(sr)
pred[, "ID"] <- 0
imp3 <- mice(sr, m = 10, seed = 77, predictorMatrix = pred, print = FALSE)
long3 <- completed(imp3)
long3$ID <- sprintf("school%d", long3$ID)
out(long3, "mi_studentratings_completed.csv")
tight <- lmerControl(optimizer = "bobyqa",
                     optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e6),
                     check.conv.singular = "ignore", calc.derivs = FALSE)
fits <- lapply(seq_len(imp3$m), function(i) {
  d <- complete(imp3, i)
  f1 <- lmer(ReadAchiev ~ ReadDis + SES + (1 | ID), data = d, REML = TRUE, control = tight)
  lmer(ReadAchiev ~ ReadDis + SES + (1 | ID), data = d, REML = TRUE, control = tight,
       start = getME(f1, "theta"))
})
est_table <- function(te, label) {
  e <- te$estimates
  data.frame(pooling = label, term = rownames(e), estimate = e[, "Estimate"],
             std_error = e[, "Std.Error"], statistic = e[, "t.value"], df = e[, "df"],
             p_value = e[, "P(>|t|)"], riv = e[, "RIV"], fmi = e[, "FMI"])
}
te <- testEstimates(fits, extra.pars = TRUE)
te_df <- testEstimates(fits, extra.pars = TRUE, df.com = 500)
out(rbind(est_table(te, "rubin"), est_table(te_df, "dfcom500")),
    "mi_studentratings_estimates.csv")
vc <- te$extra.pars
out(data.frame(term = rownames(vc), estimate = vc[, "Estimate"]), "mi_studentratings_varcomp.csv")

# ---------------------------------------------------------------- mice's behaviour on nhanes
# (for distributional checks of hormonestats' own chained equations, not identical draws):
# the incomplete data and, over 500 imputations, the mean and SD of the imputed values per
# variable and the pooled regression of chl on age and bmi
out(nhanes, "mi_nhanes_raw.csv")
imp4 <- mice(nhanes, m = 500, maxit = 10, seed = 99, print = FALSE)
summ <- do.call(rbind, lapply(c("bmi", "hyp", "chl"), function(v) {
  vals <- unlist(imp4$imp[[v]])
  data.frame(variable = v, mean = mean(vals), sd = sd(vals), n = length(vals),
             mean_sd_over_imputations = sd(colMeans(imp4$imp[[v]])))
}))
out(summ, "mi_nhanes_mice_imputed.csv")
out(pooled_table(pool(with(imp4, lm(chl ~ age + bmi)))), "mi_nhanes_mice500_pool.csv")

writeLines(capture.output(sessionInfo()), "imputation_R_sessionInfo.txt")
