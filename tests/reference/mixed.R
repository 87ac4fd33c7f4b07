# Reference values for hormonestats' repeated-measures models (mixed, crossover, APIM, cycle,
# therapy). Run from tests/reference/:  Rscript mixed.R
# Needs R packages lme4, lmerTest, nlme, emmeans. Writes the data it simulates (so Python fits the
# very same numbers) and the R estimates beside them. The Python test suite never calls R.
#
# Sources: lme4 (Bates, Maechler, Bolker & Walker 2015), lmerTest Satterthwaite df (Kuznetsova,
# Brockhoff & Christensen 2017), nlme gls (Pinheiro & Bates 2000), emmeans (Lenth).
suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(nlme)
  library(emmeans)
})
options(digits = 12)

fixed_table <- function(fit, names = NULL) {
  s <- summary(fit)$coefficients
  out <- data.frame(
    term = rownames(s), estimate = s[, "Estimate"], std_error = s[, "Std. Error"],
    df = s[, "df"], statistic = s[, "t value"], p_value = s[, "Pr(>|t|)"],
    row.names = NULL
  )
  if (!is.null(names)) out$term <- names[out$term]
  out
}

vc_table <- function(fit) {
  v <- as.data.frame(VarCorr(fit))
  data.frame(grp = v$grp, var1 = v$var1, var2 = v$var2, vcov = v$vcov, sdcor = v$sdcor)
}

# ---------------------------------------------------------------------------------------------
# 1. sleepstudy (Belenky et al. 2003; shipped with lme4, GPL >= 2)
write.csv(lme4::sleepstudy, "sleepstudy.csv", row.names = FALSE)
fm <- lmer(Reaction ~ Days + (Days | Subject), data = sleepstudy, REML = TRUE)
write.csv(fixed_table(fm), "sleepstudy_lmer_fixed.csv", row.names = FALSE)
write.csv(vc_table(fm), "sleepstudy_lmer_varcorr.csv", row.names = FALSE)
null <- lmer(Reaction ~ 1 + (1 | Subject), data = sleepstudy, REML = TRUE)
vn <- as.data.frame(VarCorr(null))$vcov
fm_ml <- lmer(Reaction ~ Days + (Days | Subject), data = sleepstudy, REML = FALSE)
write.csv(data.frame(
  reml_criterion = REMLcrit(fm),
  icc_null = vn[1] / sum(vn),
  null_reml_criterion = REMLcrit(null),
  ml_deviance = deviance(fm_ml),
  ml_days_se = summary(fm_ml)$coefficients["Days", "Std. Error"],
  ml_days_df = summary(fm_ml)$coefficients["Days", "df"]
), "sleepstudy_lmer_extra.csv", row.names = FALSE)

# ---------------------------------------------------------------------------------------------
# 2. simulated within/between split with a cross-level interaction
# true: within slope 0.5 (at m = 0), between slope -0.3, cross-level x_within:m 0.3, age 0.02
set.seed(20240611)
n_sub <- 40; n_obs <- 8
sid <- rep(sprintf("p%02d", seq_len(n_sub)), each = n_obs)
pm_true <- rep(rnorm(n_sub, 0, 1), each = n_obs)
m_sub <- rnorm(n_sub, 2, 1)            # a level-2 moderator, not centred
age_sub <- round(runif(n_sub, 20, 40))
m <- rep(m_sub, each = n_obs); age <- rep(age_sub, each = n_obs)
x <- pm_true + rnorm(n_sub * n_obs, 0, 1)
u0 <- rep(rnorm(n_sub, 0, 1), each = n_obs)
u1 <- rep(rnorm(n_sub, 0, 0.4), each = n_obs)
pm <- ave(x, sid)
xw <- x - pm
xb_sub <- tapply(x, sid, mean)
xb <- pm - mean(xb_sub)
mc <- m - mean(m_sub)
y <- 1 + (0.5 + u1 + 0.3 * mc) * xw - 0.3 * xb + 0.2 * mc + 0.02 * age + u0 + rnorm(n_sub * n_obs, 0, 1)
sim <- data.frame(subject = sid, y = round(y, 6), x = round(x, 6), m = round(m, 6), age = age)
write.csv(sim, "mixed_sim.csv", row.names = FALSE)
# refit on the rounded data with the same centring as hormonestats
sim$pm <- ave(sim$x, sim$subject)
sim$x_within <- sim$x - sim$pm
sim$x_between <- sim$pm - mean(tapply(sim$x, sim$subject, mean))
sim$m_c <- sim$m - mean(tapply(sim$m, sim$subject, mean))
f2 <- lmer(y ~ x_within + x_between + age + m_c + x_within:m_c + (1 + x_within | subject),
           data = sim, REML = TRUE)
nm <- c("(Intercept)" = "Intercept", x_within = "x_within", x_between = "x_between",
        age = "age", m_c = "m", "x_within:m_c" = "x_within:m")
write.csv(fixed_table(f2, nm), "mixed_sim_lmer_fixed.csv", row.names = FALSE)
write.csv(vc_table(f2), "mixed_sim_lmer_varcorr.csv", row.names = FALSE)
write.csv(data.frame(reml_criterion = REMLcrit(f2)), "mixed_sim_lmer_extra.csv", row.names = FALSE)
# simple slope of x_within at raw m = 1 and m = 3 (as a linear contrast, Satterthwaite df)
mbar <- mean(tapply(sim$m, sim$subject, mean))
ss <- do.call(rbind, lapply(c(1, 3), function(mv) {
  L <- c(0, 1, 0, 0, 0, mv - mbar)
  ct <- contest1D(f2, L)
  data.frame(m_value = mv, estimate = ct$Estimate, std_error = ct[["Std. Error"]], df = ct$df)
}))
write.csv(ss, "mixed_sim_lmer_slopes.csv", row.names = FALSE)

# ---------------------------------------------------------------------------------------------
# 3. 2x2 crossover (AB/BA): true drug effect 0.5, period effect 0.2
set.seed(31)
n_cx <- 24
subj <- sprintf("s%02d", seq_len(n_cx))
seq_ <- rep(c("AB", "BA"), length.out = n_cx)
rows <- list()
u <- rnorm(n_cx, 0, 1)
for (i in seq_len(n_cx)) for (p in 1:2) {
  drug <- if ((seq_[i] == "AB") == (p == 1)) "oxytocin" else "placebo"
  yv <- 5 + 0.5 * (drug == "oxytocin") + 0.2 * (p == 2) + u[i] + rnorm(1, 0, 0.7)
  rows[[length(rows) + 1]] <- data.frame(subject = subj[i], sequence = seq_[i], period = p,
                                         drug = drug, y = round(yv, 6))
}
cx <- do.call(rbind, rows)
write.csv(cx, "crossover_sim.csv", row.names = FALSE)
cx$drug <- relevel(factor(cx$drug), ref = "placebo")
cx$period <- factor(cx$period)
f3 <- lmer(y ~ drug + period + (1 | subject), data = cx, REML = TRUE)
write.csv(fixed_table(f3, c("(Intercept)" = "Intercept", drugoxytocin = "drug[oxytocin]",
                            period2 = "period[2]")), "crossover_sim_lmer_fixed.csv", row.names = FALSE)
write.csv(vc_table(f3), "crossover_sim_lmer_varcorr.csv", row.names = FALSE)
f3s <- lmer(y ~ drug + period + sequence + (1 | subject), data = cx, REML = TRUE)
write.csv(fixed_table(f3s, c("(Intercept)" = "Intercept", drugoxytocin = "drug[oxytocin]",
                             period2 = "period[2]", sequenceBA = "sequence[BA]")),
          "crossover_sim_lmer_sequence.csv", row.names = FALSE)

# ---------------------------------------------------------------------------------------------
# 4. APIM, long form (one row per person): true actor 0.4, partner 0.2; dyad correlation 0.4
set.seed(7)
n_dy <- 60
ap <- list()
for (d in seq_len(n_dy)) {
  xx <- rnorm(2, 0, 1)
  e <- MASS::mvrnorm(1, c(0, 0), matrix(c(1, 0.4, 0.4, 1), 2)) * c(1, 1.5)
  yy <- c(0.3, 0.8) + c(0.4, 0.5) * xx + c(0.2, 0.1) * rev(xx) + e
  ap[[d]] <- data.frame(dyad = sprintf("d%02d", d), role = c("woman", "man"),
                        x = round(xx, 6), y = round(yy, 6))
}
ap <- do.call(rbind, ap)
write.csv(ap, "apim_sim.csv", row.names = FALSE)
ap$x_partner <- ave(ap$x, ap$dyad, FUN = rev)
g_ind <- gls(y ~ x + x_partner, data = ap, correlation = corCompSymm(form = ~ 1 | dyad),
             method = "REML")
st <- summary(g_ind)$tTable
write.csv(data.frame(term = c("Intercept", "x", "x_partner"), estimate = st[, 1],
                     std_error = st[, 2], statistic = st[, 3], p_value = st[, 4],
                     df = nrow(ap) - 3, row.names = NULL),
          "apim_sim_gls_indist.csv", row.names = FALSE)
rho_ind <- coef(g_ind$modelStruct$corStruct, unconstrained = FALSE)
write.csv(data.frame(rho = rho_ind, sigma = g_ind$sigma, reml_loglik = as.numeric(logLik(g_ind))),
          "apim_sim_gls_indist_extra.csv", row.names = FALSE)
l_ind <- lmer(y ~ x + x_partner + (1 | dyad), data = ap, REML = TRUE)
write.csv(fixed_table(l_ind, c("(Intercept)" = "Intercept", x = "x", x_partner = "x_partner")),
          "apim_sim_lmer_indist.csv", row.names = FALSE)
ap$role <- factor(ap$role, levels = c("man", "woman"))
g_dis <- gls(y ~ 0 + role + role:x + role:x_partner, data = ap,
             correlation = corCompSymm(form = ~ 1 | dyad),
             weights = varIdent(form = ~ 1 | role), method = "REML")
st <- summary(g_dis)$tTable
terms_dis <- c("Intercept[man]", "Intercept[woman]", "x[man]", "x[woman]",
               "x_partner[man]", "x_partner[woman]")
write.csv(data.frame(term = terms_dis, estimate = st[, 1], std_error = st[, 2],
                     statistic = st[, 3], p_value = st[, 4], df = nrow(ap) - 6, row.names = NULL),
          "apim_sim_gls_dist.csv", row.names = FALSE)
vi <- coef(g_dis$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)
write.csv(data.frame(rho = coef(g_dis$modelStruct$corStruct, unconstrained = FALSE),
                     sigma_man = g_dis$sigma * vi[["man"]], sigma_woman = g_dis$sigma * vi[["woman"]],
                     reml_loglik = as.numeric(logLik(g_dis))),
          "apim_sim_gls_dist_extra.csv", row.names = FALSE)

# negative within-dyad correlation (e.g. division of labour): rho = -0.5, indistinguishable
set.seed(11)
an <- list()
for (d in seq_len(50)) {
  xx <- rnorm(2)
  e <- MASS::mvrnorm(1, c(0, 0), matrix(c(1, -0.5, -0.5, 1), 2))
  yy <- 0.3 * xx + 0.1 * rev(xx) + e
  an[[d]] <- data.frame(dyad = sprintf("n%02d", d), x = round(xx, 6), y = round(yy, 6))
}
an <- do.call(rbind, an)
write.csv(an, "apim_neg_sim.csv", row.names = FALSE)
an$x_partner <- ave(an$x, an$dyad, FUN = rev)
g_neg <- gls(y ~ x + x_partner, data = an, correlation = corCompSymm(form = ~ 1 | dyad),
             method = "REML")
st <- summary(g_neg)$tTable
write.csv(data.frame(term = c("Intercept", "x", "x_partner"), estimate = st[, 1],
                     std_error = st[, 2], df = nrow(an) - 3, row.names = NULL),
          "apim_neg_sim_gls.csv", row.names = FALSE)
write.csv(data.frame(rho = coef(g_neg$modelStruct$corStruct, unconstrained = FALSE),
                     sigma = g_neg$sigma), "apim_neg_sim_gls_extra.csv", row.names = FALSE)

# ---------------------------------------------------------------------------------------------
# 5. cycle design: 30 women x 8 visits over 4 phases; y depends on within-person estradiol
set.seed(5)
phases <- c("menstrual", "follicular", "ovulatory", "luteal")
cy <- list()
for (i in 1:30) {
  ph <- rep(phases, each = 2)
  e_mu <- c(menstrual = 0, follicular = 0.6, ovulatory = 1.2, luteal = 0.7)[ph]
  p_mu <- c(menstrual = 0, follicular = 0.1, ovulatory = 0.3, luteal = 1.5)[ph]
  e2 <- rnorm(1, 4, 0.5) + e_mu + rnorm(8, 0, 0.4)
  p4 <- rnorm(1, 1, 0.5) + p_mu + rnorm(8, 0, 0.4)
  b <- 0.5 + rnorm(1, 0, 0.2)
  yy <- 2 + b * (e2 - mean(e2)) + rnorm(1, 0, 0.8) + rnorm(8, 0, 0.6)
  cy[[i]] <- data.frame(subject_id = sprintf("w%02d", i), phase = ph,
                        cycle_day = c(2, 4, 8, 10, 13, 15, 20, 24),
                        estradiol = round(e2, 6), progesterone = round(p4, 6), y = round(yy, 6))
}
cy <- do.call(rbind, cy)
write.csv(cy, "mixed_cycle_sim.csv", row.names = FALSE)
centre <- function(d, h) {
  pmh <- ave(d[[h]], d$subject_id)
  d[[paste0(h, "_within")]] <- d[[h]] - pmh
  d[[paste0(h, "_between")]] <- pmh - mean(tapply(d[[h]], d$subject_id, mean))
  d
}
cy <- centre(centre(cy, "estradiol"), "progesterone")
out <- list()
for (h in c("estradiol", "progesterone")) {
  fo <- as.formula(sprintf("y ~ %s_within + %s_between + (1 + %s_within | subject_id)", h, h, h))
  fh <- lmer(fo, data = cy, REML = TRUE)
  slope <- TRUE
  if (isSingular(fh)) {  # the same fallback as hs.cycle_models: drop the random slope
    fo <- as.formula(sprintf("y ~ %s_within + %s_between + (1 | subject_id)", h, h))
    fh <- lmer(fo, data = cy, REML = TRUE)
    slope <- FALSE
  }
  t <- fixed_table(fh)
  t$hormone <- h
  t$random_slope <- slope
  out[[h]] <- t
}
write.csv(do.call(rbind, out), "mixed_cycle_lmer_hormones.csv", row.names = FALSE)
cy$phase <- factor(cy$phase, levels = phases)
fp <- lmer(y ~ phase + (1 | subject_id), data = cy, REML = TRUE)
pr <- as.data.frame(summary(pairs(emmeans(fp, ~ phase, lmer.df = "satterthwaite"),
                                  adjust = "holm", reverse = TRUE)))
write.csv(data.frame(contrast = pr$contrast, estimate = pr$estimate, std_error = pr$SE,
                     df = pr$df, p_adjusted = pr$p.value), "mixed_cycle_emmeans_phase.csv",
          row.names = FALSE)

# ---------------------------------------------------------------------------------------------
# 6. therapy over time: 30 people, testosterone vs control, 6 monthly visits
set.seed(9)
th <- list()
for (i in 1:30) {
  tr <- if (i <= 15) "testosterone" else "control"
  tt <- 0:5
  yy <- 10 + 0.5 * (tr == "testosterone") + (0.1 + 0.4 * (tr == "testosterone") + rnorm(1, 0, 0.2)) * tt +
    rnorm(1, 0, 1) + rnorm(6, 0, 0.8)
  th[[i]] <- data.frame(subject = sprintf("t%02d", i), treatment = tr, month = tt, y = round(yy, 6))
}
th <- do.call(rbind, th)
write.csv(th, "mixed_therapy_sim.csv", row.names = FALSE)
th$treatment <- relevel(factor(th$treatment), ref = "control")
ft <- lmer(y ~ treatment * month + (1 + month | subject), data = th, REML = TRUE)
write.csv(fixed_table(ft, c("(Intercept)" = "Intercept", treatmenttestosterone = "treatment[testosterone]",
                            month = "month", "treatmenttestosterone:month" = "treatment[testosterone]:month")),
          "mixed_therapy_lmer_fixed.csv", row.names = FALSE)
write.csv(vc_table(ft), "mixed_therapy_lmer_varcorr.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "mixed_R_sessionInfo.txt")
