# Reference values for tests/test_mediation.py: lavaan point estimates of a simple and a
# parallel mediation on simulated data. Run from this folder:  Rscript mediation.R
# Writes mediation_data.csv (the simulated data) and mediation_lavaan.csv (estimates).
library(lavaan)
set.seed(20240611)
n <- 150
c1 <- rnorm(n)
c2 <- rbinom(n, 1, 0.5)
x <- 0.3 * c1 + rnorm(n)
m1 <- 0.5 * x + 0.2 * c1 + rnorm(n)
m2 <- -0.4 * x + 0.3 * c2 + rnorm(n)
y <- 0.2 * x + 0.4 * m1 + 0.3 * m2 + 0.1 * c1 - 0.2 * c2 + rnorm(n)
d <- data.frame(x = x, m1 = m1, m2 = m2, y = y, c1 = c1, c2 = c2)
write.csv(d, "mediation_data.csv", row.names = FALSE)
d <- read.csv("mediation_data.csv")  # fit what the test reads (17 significant digits)

simple <- "
  m1 ~ a1 * x + c1
  y ~ cp * x + b1 * m1 + c1
  ind_m1 := a1 * b1
"
parallel <- "
  m1 ~ a1 * x + c1 + c2
  m2 ~ a2 * x + c1 + c2
  y ~ cp * x + b1 * m1 + b2 * m2 + c1 + c2
  m1 ~~ m2
  ind_m1 := a1 * b1
  ind_m2 := a2 * b2
  total_ind := a1 * b1 + a2 * b2
  total := cp + a1 * b1 + a2 * b2
"
grab <- function(fit, model) {
  pe <- parameterEstimates(fit)
  lab <- pe$label
  keep <- lab != ""
  data.frame(model = model, label = lab[keep], estimate = sprintf("%.15g", pe$est[keep]))
}
out <- rbind(
  grab(sem(simple, data = d), "simple"),
  grab(sem(parallel, data = d), "parallel")
)
write.csv(out, "mediation_lavaan.csv", row.names = FALSE, quote = FALSE)
cat("lavaan", as.character(packageVersion("lavaan")), "\n")
