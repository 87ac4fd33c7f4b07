# Reference values for hormonestats' mixed models with AR(1) / continuous-time AR(1) residual
# correlation. Run from tests/reference/:  Rscript mixed_ar1.R
# Needs R package nlme. Writes the data sets it uses (so Python fits the very same numbers) and
# the nlme estimates in long form in mixed_ar1_values.csv. The Python test suite never calls R.
#
# Sources: nlme::lme with corAR1 / corCAR1 (Pinheiro & Bates 2000, ch. 5). Data: Ovary
# (Pierpaoli et al., in Pinheiro & Bates 2000) and BodyWeight (Crowder & Hand 1990) from nlme
# (GPL >= 2); the diurnal cortisol study is simulated here (set.seed) with individual, irregular
# sample times and continuous-time AR(1) errors.
#
# Control. nlme's defaults stop early; every fit uses opt = "nlminb" with msMaxIter 1000,
# msMaxEval 5000, msTol 1e-14, tolerance 1e-12 and niterEM 0, and is then refitted from its own
# estimates (a second nlminb run) so that the optimum is reached to the digits the tests need.
# For each fit: log-likelihood (REML or ML), fixed effects and their standard errors (nlme's
# varFix), phi, sigma, the random-effect SDs, the 95% interval of phi from intervals() (nlme's
# Wald interval on its unconstrained scale), and the log-likelihood of the same model without
# the correlation structure.
suppressPackageStartupMessages(library(nlme))
options(digits = 15)

ctrl <- lmeControl(opt = "nlminb", msMaxIter = 1000, msMaxEval = 5000, msTol = 1e-14,
                   tolerance = 1e-12, niterEM = 0, maxIter = 1000)

# ---- data -----------------------------------------------------------------------------------
ov <- as.data.frame(Ovary)
ov$mare <- as.integer(as.character(ov$Mare))
ov <- ov[order(ov$mare, ov$Time), ]
ov$occ <- ave(ov$Time, ov$mare, FUN = seq_along)
ov$s <- sin(2 * pi * ov$Time)
ov$c <- cos(2 * pi * ov$Time)
ov <- ov[, c("mare", "occ", "Time", "s", "c", "follicles")]
write.csv(ov, "mixed_ar1_ovary.csv", row.names = FALSE)
# missing occasions: every 4th row dropped (nlme then treats corAR1 as ARMA(1, 0) over the
# occasion values, so residuals k occasions apart correlate phi^k)
ovg <- ov[seq_len(nrow(ov)) %% 4 != 2, ]
write.csv(ovg, "mixed_ar1_ovary_gaps.csv", row.names = FALSE)

bw <- as.data.frame(BodyWeight)
bw$rat <- as.integer(as.character(bw$Rat))
bw$diet <- paste0("d", bw$Diet)
bw <- bw[order(bw$rat, bw$Time), c("rat", "Time", "diet", "weight")]
names(bw)[2] <- "time"
write.csv(bw, "mixed_ar1_bodyweight.csv", row.names = FALSE)

set.seed(2601)
n_id <- 60
rows <- list()
for (i in seq_len(n_id)) {
  k <- sample(6:9, 1)
  # hours after waking: the first sample at waking, then irregular intervals of 0.25-3 h
  t <- c(0, cumsum(runif(k - 1, 0.25, 3)))
  b0 <- rnorm(1, 0, 0.35)
  b1 <- rnorm(1, 0, 0.03)
  phi <- 0.55  # correlation of two samples one hour apart
  e <- numeric(k)
  e[1] <- rnorm(1)
  for (j in 2:k) {
    r <- phi^(t[j] - t[j - 1])
    e[j] <- r * e[j - 1] + sqrt(1 - r^2) * rnorm(1)
  }
  grp <- if (i <= n_id / 2) "control" else "stress"
  y <- 2.6 - 0.13 * t + 0.15 * (grp == "stress") + b0 + b1 * t + 0.3 * e
  rows[[i]] <- data.frame(id = i, hours = round(t, 4), group = grp,
                          log_cortisol = round(y, 6))
}
dc <- do.call(rbind, rows)
write.csv(dc, "mixed_ar1_diurnal.csv", row.names = FALSE)

# ---- fits -----------------------------------------------------------------------------------
out <- list()
add <- function(data, method, quantity, term, value) {
  out[[length(out) + 1]] <<- data.frame(data = data, method = method, quantity = quantity,
                                        term = term, value = value)
}
polish <- function(fit) {
  # one more nlminb run from the estimates
  f2 <- try(update(fit, control = ctrl), silent = TRUE)
  if (!inherits(f2, "try-error") && logLik(f2) >= logLik(fit)) f2 else fit
}

models <- list(
  ovary = list(data = ov, fixed = follicles ~ s + c, random = ~ 1 | mare,
               cor = corAR1(form = ~ occ | mare)),
  ovary_gaps = list(data = ovg, fixed = follicles ~ s + c, random = ~ 1 | mare,
                    cor = corAR1(form = ~ occ | mare)),
  bodyweight = list(data = bw, fixed = weight ~ time * diet, random = ~ time | rat,
                    cor = corCAR1(form = ~ time | rat)),
  diurnal = list(data = dc, fixed = log_cortisol ~ hours + group, random = ~ hours | id,
                 cor = corCAR1(form = ~ hours | id))
)

for (nm in names(models)) {
  m <- models[[nm]]
  for (method in c("REML", "ML")) {
    fit <- lme(m$fixed, data = m$data, random = m$random, correlation = m$cor,
               method = method, control = ctrl)
    fit <- polish(fit)
    plain <- lme(m$fixed, data = m$data, random = m$random, method = method, control = ctrl)
    add(nm, method, "loglik", "", as.numeric(logLik(fit)))
    add(nm, method, "loglik_independent", "", as.numeric(logLik(plain)))
    fe <- fixef(fit)
    se <- sqrt(diag(fit$varFix))
    for (j in seq_along(fe)) {
      add(nm, method, "estimate", names(fe)[j], fe[[j]])
      add(nm, method, "std_error", names(fe)[j], se[[j]])
    }
    phi <- coef(fit$modelStruct$corStruct, unconstrained = FALSE)[[1]]
    add(nm, method, "cor_class", class(fit$modelStruct$corStruct)[1], NA)
    add(nm, method, "phi", "", phi)
    add(nm, method, "sigma", "", fit$sigma)
    vc <- VarCorr(fit)
    sds <- suppressWarnings(as.numeric(vc[, "StdDev"]))
    for (j in seq_len(nrow(vc) - 1)) add(nm, method, "re_sd", rownames(vc)[j], sds[j])
    ci <- try(intervals(fit, which = "var-cov")$corStruct, silent = TRUE)
    if (!inherits(ci, "try-error")) {
      add(nm, method, "phi_lower", "", ci[1, "lower"])
      add(nm, method, "phi_upper", "", ci[1, "upper"])
    }
  }
}
vals <- do.call(rbind, out)
write.csv(vals, "mixed_ar1_values.csv", row.names = FALSE)
print(vals)
writeLines(capture.output(sessionInfo()), "mixed_ar1_R_sessionInfo.txt")
