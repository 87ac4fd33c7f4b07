# Reference values for the designs' canned analyses (tests/test_designs.py).
# Run from tests/reference/:  Rscript designs.R
# 1. The crossover hypothesis (oxytocin_crossover) on the bundled crossover study's analysis
#    table (designs_crossover_study.csv, written by hormonestats.process_study): the classical
#    analysis of a 2x2 crossover (Senn 2002, ch. 3): two-sample t test of the period differences
#    between the sequences; drug effect = half the difference of the sequences' mean period
#    differences, on n - 2 df. Also lmerTest's drug and sequence (carry-over) effects.
# 2. The actor and partner hypotheses on distinguishable dyads: the mean of the two roles'
#    actor (partner) slopes of nlme::gls (apim_sim.csv, the model of mixed.R), with its SE from
#    vcov() and a t test on N - p df (as gls' own tests).
suppressPackageStartupMessages({library(nlme); library(lmerTest)})

cx <- read.csv("designs_crossover_study.csv", stringsAsFactors = FALSE)
w <- reshape(cx[, c("subject_id", "sequence", "session", "rmet_total")], idvar = c("subject_id", "sequence"),
             timevar = "session", direction = "wide")
w$d <- w$rmet_total.p1 - w$rmet_total.p2
tt <- t.test(d ~ sequence, data = w, var.equal = TRUE)  # AB minus BA
est <- unname(diff(rev(tt$estimate)) / 2)
se <- unname(tt$stderr / 2)
cx$drug <- factor(cx$oxytocin_arm)
cx$period <- factor(cx$session)
m <- lmer(rmet_total ~ drug + period + (1 | subject_id), data = cx, REML = TRUE)
ms <- lmer(rmet_total ~ drug + period + sequence + (1 | subject_id), data = cx, REML = TRUE)
cm <- summary(m)$coefficients
cs <- summary(ms)$coefficients
ci <- est + c(-1, 1) * qt(0.975, tt$parameter) * se
write.csv(data.frame(
  quantity = c("drug_classical", "drug_lmer", "sequence_lmer"),
  estimate = c(est, cm["drug1", "Estimate"], cs["sequenceBA", "Estimate"]),
  std_error = c(se, cm["drug1", "Std. Error"], cs["sequenceBA", "Std. Error"]),
  df = c(unname(tt$parameter), cm["drug1", "df"], cs["sequenceBA", "df"]),
  p_value = c(tt$p.value, cm["drug1", "Pr(>|t|)"], cs["sequenceBA", "Pr(>|t|)"]),
  conf_low = c(ci[1], NA, NA), conf_high = c(ci[2], NA, NA)),
  "designs_crossover_ref.csv", row.names = FALSE)

ap <- read.csv("apim_sim.csv", stringsAsFactors = FALSE)
ap$x_partner <- ave(ap$x, ap$dyad, FUN = rev)
ap$role <- factor(ap$role, levels = c("man", "woman"))
g <- gls(y ~ 0 + role + role:x + role:x_partner, data = ap,
         correlation = corCompSymm(form = ~ 1 | dyad),
         weights = varIdent(form = ~ 1 | role), method = "REML")
b <- coef(g); V <- vcov(g)
df <- nrow(ap) - length(b)
rows <- lapply(c(actor = "x", partner = "x_partner"), function(v) {
  k <- setNames(rep(0, length(b)), names(b))
  k[c(paste0("roleman:", v), paste0("rolewoman:", v))] <- 0.5
  e <- sum(k * b); s <- sqrt(drop(t(k) %*% V %*% k))
  data.frame(estimate = e, std_error = s, df = df, p_value = 2 * pt(-abs(e / s), df),
             conf_low = e - qt(0.975, df) * s, conf_high = e + qt(0.975, df) * s)
})
out <- cbind(effect = names(rows), do.call(rbind, rows))
write.csv(out, "designs_apim_mean_of_roles.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "designs_R_sessionInfo.txt")
