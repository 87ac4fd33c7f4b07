# Reference values for hormonestats.censored_regression (Gaussian Tobit-type likelihood).
# Run from tests/reference/:  Rscript censored.R
# Needs R package survival (Therneau). Simulates hormone-like data with a per-row limit of
# detection (two plates with different LODs) and an upper limit of quantification, writes the data
# (y is NA where below the LOD, as a lab file would have it) and survreg's estimates beside them.
#
# Files written:
#   censored_data.csv        y, x, age, group, censored ("none"/"left"/"right"), lod_limit
#   censored_survreg.csv     coefficients and SEs (incl. Log(scale)) and log-likelihood of
#                            model "left" (left censoring only; right-censored rows dropped) and
#                            model "both" (left and right censoring, Surv type "interval2")
suppressPackageStartupMessages(library(survival))
options(digits = 15)
set.seed(5318008)

n <- 400
x <- rnorm(n, 0, 1)
age <- round(runif(n, 20, 60))
group <- sample(c("ctrl", "trt"), n, replace = TRUE)
ystar <- 1.5 + 0.6 * x + 0.02 * age + ifelse(group == "trt", -0.4, 0) + rnorm(n, 0, 0.9)
plate <- sample(1:2, n, replace = TRUE)
lod <- ifelse(plate == 1, 2.0, 2.4)
uloq <- 4.6
censored <- ifelse(ystar < lod, "left", ifelse(ystar > uloq, "right", "none"))
limit <- ifelse(censored == "left", lod, ifelse(censored == "right", uloq, lod))
y <- ifelse(censored == "none", ystar, NA)
d <- data.frame(y, x, age, group, censored, lod_limit = limit)
write.csv(d, "censored_data.csv", row.names = FALSE)

tab <- function(fit, model) {
  b <- c(coef(fit), "Log(scale)" = log(fit$scale))
  se <- sqrt(diag(vcov(fit)))
  data.frame(model = model, term = names(b), estimate = unname(b), std_error = unname(se),
             loglik = fit$loglik[2], n_left = sum(fit$y[, ncol(fit$y)] == 2),
             row.names = NULL)
}

# left censoring only: rows with right censoring are dropped
dl <- subset(d, censored != "right")
dl$time <- ifelse(dl$censored == "left", dl$lod_limit, dl$y)
dl$event <- as.integer(dl$censored == "none")
f_left <- survreg(Surv(time, event, type = "left") ~ x + age + group, data = dl,
                  dist = "gaussian", control = survreg.control(rel.tolerance = 1e-12, maxiter = 100))

# left and right censoring: interval2 with open ends
lo <- ifelse(d$censored == "left", NA, ifelse(d$censored == "right", d$lod_limit, d$y))
hi <- ifelse(d$censored == "right", NA, ifelse(d$censored == "left", d$lod_limit, d$y))
f_both <- survreg(Surv(lo, hi, type = "interval2") ~ x + age + group, data = d,
                  dist = "gaussian", control = survreg.control(rel.tolerance = 1e-12, maxiter = 100))
out <- rbind(tab(f_left, "left"), tab(f_both, "both"))
out$n_left <- NULL
out$n <- c(rep(nrow(dl), 5), rep(nrow(d), 5))
write.csv(out, "censored_survreg.csv", row.names = FALSE)
print(out)
print(table(d$censored))
