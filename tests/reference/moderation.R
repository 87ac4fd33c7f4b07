# Reference values for hormonestats' moderation, gene x environment and effect-size code.
# Run from tests/reference/:  Rscript moderation.R
# Needs R packages rockchalk (Johnson-Neyman; Johnson 2019). Writes the data it simulates (so
# Python fits the very same numbers) and R's estimates beside them. The test suite never calls R.
#
# Files written:
#   moderation_data.csv         simulated data (n = 300): y, x, m, c1, g (3-level factor), grp
#   moderation_lm.csv           lm() coefficients and SEs of several models (column `model`)
#   moderation_jn.csv           rockchalk::testSlopes Johnson-Neyman roots of model "raw"
#   moderation_slopes.csv       rockchalk::testSlopes simple slopes at mean -1 SD, mean, +1 SD
#   moderation_fit.csv          R2, R2 change and F change of model "centred"
#   moderation_effects.csv      partial eta^2 (type 3 F per term) with noncentral-F CI, by uniroot
#   moderation_std.csv          standardized coefficients: lm() on scale()d variables (Friedrich)
#   moderation_padjust.csv      p.adjust BH and Holm of Benjamini & Hochberg's (1995) example
#   gxe_lm.csv                  lm() of a gene x environment model with Keller (2014) terms
#   gxe_slopes.csv              slopes of env at gene = 0, 1, 2 from vcov() of that model
suppressPackageStartupMessages(library(rockchalk))
options(digits = 15)
set.seed(20240611)

n <- 300
x <- rnorm(n, 2, 1.5)
m <- rnorm(n, 5, 2)
c1 <- rnorm(n, 0, 1)
g <- sample(c("a", "b", "c"), n, replace = TRUE)
grp <- sample(c("high", "low", "mid"), n, replace = TRUE)
gene <- rbinom(n, 2, 0.35) # additive allele count
y <- 1 + 0.3 * x + 0.2 * m + 0.12 * x * m + 0.5 * c1 + ifelse(g == "b", 0.4, 0) +
  ifelse(grp == "low", -0.3 * x, 0) + 0.25 * gene * (m - 5) + rnorm(n, 0, 1 + 0.2 * abs(x))
d <- data.frame(y, x, m, c1, g, grp, gene)
write.csv(d, "moderation_data.csv", row.names = FALSE)

tab <- function(fit, model) {
  s <- summary(fit)$coefficients
  data.frame(model = model, term = rownames(s), estimate = s[, 1], std_error = s[, 2],
             statistic = s[, 3], p_value = s[, 4], df = fit$df.residual, row.names = NULL)
}

# raw (uncentred) continuous moderation with a numeric and a factor covariate
fit_raw <- lm(y ~ x * m + c1 + g, data = d)  # not `raw`: rockchalk evals the name
# centred
d$xc <- d$x - mean(d$x)
d$mc <- d$m - mean(d$m)
cen <- lm(y ~ xc * mc + c1 + g, data = d)
# categorical moderator (treatment coding, reference "high"), x centred
catm <- lm(y ~ xc * grp, data = d)
out <- rbind(tab(fit_raw, "raw"), tab(cen, "centred"), tab(catm, "categorical"))
write.csv(out, "moderation_lm.csv", row.names = FALSE)

# R2 change of the interaction in the centred model
red <- lm(y ~ xc + mc + c1 + g, data = d)
an <- anova(red, cen)
write.csv(data.frame(r2 = summary(cen)$r.squared, r2_adj = summary(cen)$adj.r.squared,
                     delta_r2 = summary(cen)$r.squared - summary(red)$r.squared,
                     f_change = an$F[2], p_change = an$`Pr(>F)`[2]),
          "moderation_fit.csv", row.names = FALSE)

# Johnson-Neyman (rockchalk)
pdf(NULL)
ps <- plotSlopes(fit_raw, plotx = "x", modx = "m", modxVals = "std.dev.", plotPoints = FALSE)
ts <- testSlopes(ps)
roots <- sort(as.numeric(ts$jn$roots))
write.csv(data.frame(bound = roots), "moderation_jn.csv", row.names = FALSE)
hs <- ts$hypotests
write.csv(data.frame(m_value = hs[, 1], estimate = hs[, 2], std_error = hs[, 3],
                     statistic = hs[, 4], p_value = hs[, 5]),
          "moderation_slopes.csv", row.names = FALSE)
invisible(dev.off())

# partial eta^2 from type 3 (each term adjusted for all others) F tests of the centred model,
# with the noncentral-F CI of Steiger (2004): lambda bounds by uniroot on pf(..., ncp)
steiger <- function(Fobs, df1, df2, level = 0.95) {
  a <- (1 - level) / 2
  f <- function(lam, target) pf(Fobs, df1, df2, ncp = lam) - target
  lo <- if (pf(Fobs, df1, df2, ncp = 0) < 1 - a) 0 else
    uniroot(f, c(0, 1e4), target = 1 - a, tol = 1e-12)$root
  hi <- if (pf(Fobs, df1, df2, ncp = 0) < a) 0 else
    uniroot(f, c(0, 1e4), target = a, tol = 1e-12)$root
  c(lo, hi)
}
df2 <- cen$df.residual
terms_cen <- c("xc", "mc", "c1", "g", "xc:mc")
eff <- do.call(rbind, lapply(terms_cen, function(tm) {
  red_t <- update(cen, as.formula(paste(". ~ . -", tm)))
  a <- anova(red_t, cen)
  Fv <- a$F[2]; df1 <- a$Df[2]
  lam <- steiger(Fv, df1, df2)
  N <- df1 + df2 + 1
  data.frame(term = tm, df1 = df1, df2 = df2, statistic = Fv, p_value = a$`Pr(>F)`[2],
             partial_eta_sq = Fv * df1 / (Fv * df1 + df2),
             conf_low = lam[1] / (lam[1] + N), conf_high = lam[2] / (lam[2] + N))
}))
write.csv(eff, "moderation_effects.csv", row.names = FALSE)

# standardized coefficients, Friedrich (1982): z-score then form the product
dz <- data.frame(y = as.numeric(scale(d$y)), x = as.numeric(scale(d$x)),
                 m = as.numeric(scale(d$m)), c1 = as.numeric(scale(d$c1)))
std <- lm(y ~ x * m + c1, data = dz)
zmain <- lm(y ~ x + m + c1, data = dz)
write.csv(rbind(tab(std, "friedrich"), tab(zmain, "main_effects")), "moderation_std.csv",
          row.names = FALSE)

# Benjamini-Hochberg and Holm adjustments of the 15 p-values in Benjamini & Hochberg (1995)
p15 <- c(0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
         0.4262, 0.5719, 0.6528, 0.7590, 1.000)
write.csv(data.frame(p_value = p15, bh = p.adjust(p15, "BH"), holm = p.adjust(p15, "holm")),
          "moderation_padjust.csv", row.names = FALSE)

# gene x environment with Keller (2014) covariate terms: env = x (centred), gene additive
# (uncentred), covariate c1 centred in its products with both
d$c1c <- d$c1 - mean(d$c1)
gxe <- lm(y ~ mc * gene + c1 + c1c:gene + c1c:mc, data = d)
gxe_nok <- lm(y ~ mc * gene + c1, data = d)
write.csv(rbind(tab(gxe, "keller"), tab(gxe_nok, "plain")), "gxe_lm.csv", row.names = FALSE)
# simple slopes of env at gene = 0, 1, 2 (covariance algebra, in R)
V <- vcov(gxe); b <- coef(gxe)
sl <- do.call(rbind, lapply(0:2, function(gv) {
  est <- b["mc"] + gv * b["mc:gene"]
  se <- sqrt(V["mc", "mc"] + 2 * gv * V["mc", "mc:gene"] + gv^2 * V["mc:gene", "mc:gene"])
  data.frame(gene = gv, estimate = est, std_error = se)
}))
write.csv(sl, "gxe_slopes.csv", row.names = FALSE)

writeLines(capture.output(sessionInfo()), "moderation_R_sessionInfo.txt")
