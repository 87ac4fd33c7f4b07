# Reference values for hormonestats' reliability of repeated sampling (hs.sampling_reliability).
# Run from tests/reference/:  Rscript sampling_reliability.R
# Needs R packages psych, lme4, performance. Writes the data sets it uses (so Python computes on the
# very same numbers) and the R results beside them. The Python test suite never calls R.
#
# Sources: psych::ICC (Revelle), the six intraclass correlations of Shrout & Fleiss (1979) with the
# F-based intervals of McGraw & Wong (1996); performance::icc (Nakagawa, Johnson & Schielzeth 2017)
# on lme4 fits (Bates et al. 2015); psych::multilevel.reliability, the generalizability
# coefficients of Shrout & Lane (2012); Spearman (1910) / Brown (1910) prophecy formula.
# Data: Shrout & Fleiss's (1979) 6 targets x 4 judges table; lme4's sleepstudy (Belenky et al.
# 2003); Shrout & Lane's (2012) 5 persons x 4 times x 3 items example (as printed in psych's help
# page); and two hormone-like sets simulated here (set.seed).
suppressPackageStartupMessages({
  library(psych)
  library(lme4)
  library(performance)
})
options(digits = 15)

tight <- lmerControl(
  optimizer = "bobyqa",
  optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e6),
  check.conv.singular = "ignore", calc.derivs = FALSE
)
fit_tight <- function(formula, data) {
  f1 <- lmer(formula, data = data, REML = TRUE, control = tight)
  lmer(formula, data = data, REML = TRUE, control = tight, start = getME(f1, "theta"))
}

# ---------------------------------------------------------------- Shrout-Fleiss ICC (psych::ICC)
# lmer = FALSE: the classical two-way ANOVA mean squares of Shrout & Fleiss (1979). psych's
# default (lmer = TRUE) puts sigma^2 + the judges' variance component in place of the
# within-target mean square, which changes ICC1 and ICC1k (not the other four).
icc_table <- function(x, name, alpha = 0.05) {
  r <- psych::ICC(x, lmer = FALSE, alpha = alpha)$results
  data.frame(
    data = name, type = r$type, icc = r$ICC, f = r$F, df1 = r$df1, df2 = r$df2,
    p_value = r$p, conf_low = r[["lower bound"]], conf_high = r[["upper bound"]],
    conf_level = 1 - alpha, row.names = NULL
  )
}

sf <- matrix(c(9, 2, 5, 8,  6, 1, 3, 2,  8, 4, 6, 8,  7, 1, 2, 6,  10, 5, 6, 9,  6, 2, 4, 7),
             ncol = 4, byrow = TRUE, dimnames = list(NULL, paste0("J", 1:4)))
write.csv(data.frame(target = 1:6, sf), "sampling_reliability_sf.csv", row.names = FALSE)

sleep <- lme4::sleepstudy
sleep_wide <- reshape(sleep, idvar = "Subject", timevar = "Days", direction = "wide")
sleep_mat <- as.matrix(sleep_wide[, -1])

# a hormone-like study: 40 women x 6 mornings of log salivary cortisol (person SD 0.35, day SD
# 0.45), a weekend effect, about 8% of samples missing for the mixed-model ICC
set.seed(20261207)
n_p <- 40; n_d <- 6
person <- rnorm(n_p, 0, 0.35)
horm <- expand.grid(day = 1:n_d, subject = sprintf("P%02d", 1:n_p))[, c("subject", "day")]
horm$weekend <- as.integer(horm$day %in% c(6))
horm$log_cortisol <- round(2.3 + person[as.integer(horm$subject)] - 0.25 * horm$weekend +
  rnorm(nrow(horm), 0, 0.45), 4)
write.csv(horm, "sampling_reliability_hormone.csv", row.names = FALSE)
horm_mat <- matrix(horm$log_cortisol, ncol = n_d, byrow = TRUE)

icc_ref <- rbind(
  icc_table(sf, "shrout_fleiss"),
  icc_table(sf, "shrout_fleiss_90", alpha = 0.10),
  icc_table(sleep_mat, "sleepstudy"),
  icc_table(horm_mat, "hormone")
)
write.csv(icc_ref, "sampling_reliability_icc.csv", row.names = FALSE)

# psych's default (lmer = TRUE) on the same tables, for the record
lm_ref <- do.call(rbind, lapply(list(shrout_fleiss = sf, sleepstudy = sleep_mat), function(x) {
  r <- psych::ICC(x)$results
  data.frame(type = r$type, icc = r$ICC)
}))
lm_ref$data <- sub("\\..*", "", rownames(lm_ref))
write.csv(lm_ref[, c("data", "type", "icc")], "sampling_reliability_icc_lmer.csv",
          row.names = FALSE)

# ------------------------------------------------------ mixed-model ICC (performance::icc)
horm_miss <- horm
set.seed(7)
horm_miss$log_cortisol[sample(nrow(horm), 19)] <- NA
write.csv(horm_miss, "sampling_reliability_hormone_missing.csv", row.names = FALSE)

mixed_icc <- function(formula, data, name) {
  f <- fit_tight(formula, data)
  i <- performance::icc(f)
  vc <- as.data.frame(VarCorr(f))
  data.frame(
    data = name, formula = deparse(formula),
    icc_adjusted = i$ICC_adjusted, icc_conditional = i$ICC_conditional,
    var_intercept = vc$vcov[1], var_residual = vc$vcov[2],
    n_obs = nobs(f), n_subjects = ngrps(f)[[1]]
  )
}
mixed_ref <- rbind(
  mixed_icc(Reaction ~ 1 + (1 | Subject), sleep, "sleepstudy"),
  mixed_icc(Reaction ~ Days + (1 | Subject), sleep, "sleepstudy"),
  mixed_icc(log_cortisol ~ 1 + (1 | subject), horm_miss, "hormone_missing"),
  mixed_icc(log_cortisol ~ weekend + (1 | subject), horm_miss, "hormone_missing")
)
write.csv(mixed_ref, "sampling_reliability_mixed_icc.csv", row.names = FALSE)

# ------------------------------------------------- Spearman-Brown prophecy (closed form)
# reliability of the mean of k samples, and the samples needed for a target reliability
sb <- expand.grid(r = c(0.17, 0.3, 0.5), k = c(2, 4, 7))
sb$reliability <- sb$k * sb$r / (1 + (sb$k - 1) * sb$r)
sb$target <- 0.8
sb$k_needed <- sb$target * (1 - sb$r) / (sb$r * (1 - sb$target))
write.csv(sb, "sampling_reliability_spearman_brown.csv", row.names = FALSE)

# ---------------------------------- generalizability theory (psych::multilevel.reliability)
shrout <- data.frame(
  Person = rep(1:5, 4), Time = rep(1:4, each = 5),
  Item1 = c(2, 3, 6, 3, 7, 3, 5, 6, 3, 8, 4, 4, 7, 5, 6, 1, 5, 8, 8, 6),
  Item2 = c(3, 4, 6, 4, 8, 3, 7, 7, 5, 8, 2, 6, 8, 6, 7, 3, 9, 9, 7, 8),
  Item3 = c(6, 4, 5, 3, 7, 4, 7, 8, 9, 9, 5, 7, 9, 7, 8, 4, 7, 9, 9, 6)
)
write.csv(shrout, "sampling_reliability_shrout_lane.csv", row.names = FALSE)

# a diary study: 30 persons x 7 evenings x 4 mood items (1-7)
set.seed(2012)
n_p <- 30; n_t <- 7; n_i <- 4
diary <- expand.grid(item = 1:n_i, day = 1:n_t, person = 1:n_p)
pe <- rnorm(n_p, 0, 0.9); pd <- matrix(rnorm(n_p * n_t, 0, 0.7), n_p)
pi <- matrix(rnorm(n_p * n_i, 0, 0.3), n_p); it <- rnorm(n_i, 0, 0.4)
diary$value <- with(diary, pmin(7, pmax(1, round(4 + pe[person] + pd[cbind(person, day)] +
  pi[cbind(person, item)] + it[item] + rnorm(nrow(diary), 0, 0.8)))))
diary_wide <- reshape(diary, idvar = c("person", "day"), timevar = "item", direction = "wide")
diary_wide <- diary_wide[, c("person", "day", paste0("value.", 1:n_i))]
names(diary_wide) <- c("person", "day", paste0("mood", 1:n_i))
write.csv(diary_wide, "sampling_reliability_diary.csv", row.names = FALSE)

gt_table <- function(x, grp, time, items, name) {
  m <- psych::multilevel.reliability(x, grp = grp, Time = time, items = items, alpha = FALSE)
  comp <- m$components
  long <- m$long
  # the nested model of RkRn / Rcn refitted by lme4 at tight convergence (psych uses nlme at its
  # default tolerance, which agrees to about 1e-4)
  nf <- fit_tight(values ~ 1 + (1 | id) + (1 | id:time), long)
  vc <- as.data.frame(VarCorr(nf))
  v_id <- vc$vcov[vc$grp == "id"]; v_it <- vc$vcov[vc$grp == "id:time"]
  v_res <- vc$vcov[vc$grp == "Residual"]
  rkrn <- v_id / (v_id + v_it / m$n.time + v_res / (m$n.time * m$n.items))
  rcn <- v_it / (v_it + v_res / m$n.items)
  data.frame(
    data = name,
    quantity = c("var_id", "var_time", "var_items", "var_id_time", "var_id_items",
                 "var_time_items", "var_residual", "RkF", "R1R", "RkR", "Rc",
                 "RkRn_psych", "Rcn_psych", "var_id_nested", "var_id_time_nested",
                 "var_residual_nested", "RkRn", "Rcn"),
    value = c(comp[1:7, 1], m$RkF, m$R1R, m$RkR, m$Rc, m$RkRn, m$Rcn,
              v_id, v_it, v_res, rkrn, rcn)
  )
}
gt_ref <- rbind(
  gt_table(shrout, "Person", "Time", c("Item1", "Item2", "Item3"), "shrout_lane"),
  gt_table(diary_wide, "person", "day", paste0("mood", 1:n_i), "diary")
)
write.csv(gt_ref, "sampling_reliability_gt.csv", row.names = FALSE)

writeLines(capture.output(sessionInfo()), "sampling_reliability_R_sessionInfo.txt")
