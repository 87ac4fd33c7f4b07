# Reference values for hormonestats' mixed-model inference: type-III F tests (Satterthwaite and
# Kenward-Roger denominator df) and adjusted emmeans contrasts.
# Run from tests/reference/:  Rscript mixed_inference.R
# Needs R packages lme4, lmerTest, pbkrtest, emmeans, nlme. Writes the data it uses and the R
# results beside them. The Python test suite never calls R.
#
# Sources: lmerTest::anova(type = 3) (Kuznetsova, Brockhoff & Christensen 2017) with
# pbkrtest's Kenward-Roger F test (Halekoh & Hojsgaard 2014); emmeans (Lenth) pairwise contrasts
# with adjust = "tukey", "holm", "bonferroni", "mvt". Data: cake (Cochran & Cox 1957) from lme4,
# Oats (Yates 1935) from nlme, ChickWeight (Crowder & Hand 1990) from R's datasets. Models are
# random-intercept ones (the optimum every optimiser reaches), all factors unordered.
suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(pbkrtest)
  library(emmeans)
})
options(digits = 15)

tight <- lmerControl(
  optimizer = "bobyqa",
  optCtrl = list(rhobeg = 0.2, rhoend = 1e-12, maxfun = 1e6),
  check.conv.singular = "ignore", calc.derivs = FALSE
)
fit_tight <- function(formula, data) {
  f1 <- lmerTest::lmer(formula, data = data, REML = TRUE, control = tight)
  lmerTest::lmer(formula, data = data, REML = TRUE, control = tight, start = getME(f1, "theta"))
}

anova_table <- function(fit, name) {
  out <- NULL
  for (ddf in c("Satterthwaite", "Kenward-Roger")) {
    a <- anova(fit, type = 3, ddf = ddf)
    out <- rbind(out, data.frame(
      model = name, ddf = ddf, term = rownames(a), sum_sq = a[["Sum Sq"]],
      mean_sq = a[["Mean Sq"]], num_df = a$NumDF, den_df = a$DenDF, statistic = a[["F value"]],
      p_value = a[["Pr(>F)"]], row.names = NULL
    ))
  }
  out
}

pairs_table <- function(fit, spec, name, tight = FALSE) {
  out <- NULL
  for (ddf in c("satterthwaite", "kenward-roger")) {
    em <- emmeans(fit, spec, lmer.df = ddf)
    for (adj in c("none", "tukey", "holm", "bonferroni", "mvt")) {
      set.seed(1)
      pr <- summary(pairs(em, reverse = TRUE), adjust = adj, infer = c(TRUE, TRUE))
      pr <- as.data.frame(pr)
      if (adj == "mvt" && tight) {
        # the same single-step test integrated tightly (emmeans uses mvtnorm's default error
        # bound abseps = 1e-3): a sharper reference (abseps 1e-5) for the mvt p values and limits
        prs <- pairs(em, reverse = TRUE)
        V <- vcov(prs)
        corr <- cov2cor(V)
        tight_alg <- mvtnorm::GenzBretz(maxpts = 2e6, abseps = 1e-5)
        k <- nrow(corr)
        p_t <- sapply(seq_len(k), function(i) {
          a <- abs(pr$t.ratio[i])
          1 - mvtnorm::pmvt(rep(-a, k), rep(a, k), df = as.integer(pr$df[i]), corr = corr,
                            algorithm = tight_alg)
        })
        dfs <- as.integer(pr$df)
        q_u <- sapply(unique(dfs), function(d) {
          mvtnorm::qmvt(0.95, tail = "both.tails", df = d, corr = corr,
                        algorithm = tight_alg)$quantile
        })
        q_t <- q_u[match(dfs, unique(dfs))]
        out <- rbind(out, data.frame(
          model = name, ddf = ddf, adjust = "mvt_tight", contrast = as.character(pr$contrast),
          estimate = pr$estimate, std_error = pr$SE, df = pr$df, statistic = pr$t.ratio,
          p_value = p_t, conf_low = pr$estimate - q_t * pr$SE,
          conf_high = pr$estimate + q_t * pr$SE
        ))
      }
      out <- rbind(out, data.frame(
        model = name, ddf = ddf, adjust = adj, contrast = as.character(pr$contrast),
        estimate = pr$estimate, std_error = pr$SE, df = pr$df, statistic = pr$t.ratio,
        p_value = pr$p.value, conf_low = pr$lower.CL, conf_high = pr$upper.CL
      ))
    }
  }
  out
}

# 1. cake: 3 recipes x 6 temperatures, replicates within recipes (split plot)
cake <- lme4::cake
cake_out <- data.frame(replicate = as.character(cake$replicate), recipe = as.character(cake$recipe),
                       temperature = as.character(cake$temperature), angle = cake$angle)
write.csv(cake_out, "mixed_inference_cake.csv", row.names = FALSE)
cake_out$temperature <- factor(cake_out$temperature, levels = c("175", "185", "195", "205", "215",
                                                                "225"))
f_cake <- fit_tight(angle ~ recipe * temperature + (1 | recipe:replicate), cake_out)
# one term only: lmerTest then uses the type-I (Doolittle) contrasts
f_cake1 <- fit_tight(angle ~ temperature + (1 | recipe:replicate), cake_out)

# 2. Oats: nitrogen (numeric) x variety, plots within blocks (split plot)
data("Oats", package = "nlme")
oats <- data.frame(Block = as.character(Oats$Block), Variety = as.character(Oats$Variety),
                   nitro = Oats$nitro, yield = Oats$yield)
write.csv(oats, "mixed_inference_oats.csv", row.names = FALSE)
f_oats <- fit_tight(yield ~ nitro * Variety + (1 | Block / Variety), oats)

# 3. ChickWeight: weight over time by diet, random intercept per chick
cw <- data.frame(Chick = as.character(ChickWeight$Chick), Diet = as.character(ChickWeight$Diet),
                 Time = ChickWeight$Time, weight = ChickWeight$weight)
write.csv(cw, "mixed_inference_chickweight.csv", row.names = FALSE)
f_cw <- fit_tight(weight ~ Time * Diet + (1 | Chick), cw)

write.csv(rbind(
  anova_table(f_cake, "cake"), anova_table(f_oats, "oats"), anova_table(f_cake1, "cake_temperature"),
  anova_table(f_cw, "chickweight")
), "mixed_inference_anova.csv", row.names = FALSE)

write.csv(rbind(
  pairs_table(f_cake, ~ recipe, "cake", tight = TRUE),
  pairs_table(f_cake, ~ temperature, "cake"),
  pairs_table(f_cake1, ~ temperature, "cake_temperature"),
  pairs_table(f_cw, ~ Diet, "chickweight", tight = TRUE)
), "mixed_inference_pairs.csv", row.names = FALSE)

writeLines(capture.output(sessionInfo()), "mixed_inference_R_sessionInfo.txt")
