# Reference standard-curve fits for tests/test_standard_curves.py (base R only).
#
# Two simulated plates of standards (set.seed below): a competitive 4PL (OD falls with the
# concentration) and an asymmetric 5PL. Fits:
#   4PL: nls with the self-starting SSfpl on log(conc) (A + (B - A) / (1 + exp((xmid - x) / scal))),
#        mapped to drc's LL.4 (b = -1/scal, c = A, d = B, e = exp(xmid); swapped so d > c),
#        then refitted as an explicit nls in b, c, d, e from those values (for vcov in LL.4 terms);
#   5PL: explicit nls of c + (d - c) / (1 + exp(b (log x - log e)))^f from the 4PL (f = 1),
#        both orientations and starts f = 0.25 ... 4 tried, the smallest residual sum of
#        squares kept.
# Each unweighted and with weights 1/od^2. Inverse predictions x(y) and the delta-method SE of
# log x (parameter vcov plus the reading variance sigma^2 / w(y)) at a grid of ODs.
# Run from the repository root: Rscript tests/reference/plates_curves.R

set.seed(20261201)
ll5 <- function(x, b, c, d, e, f = 1) c + (d - c) / (1 + exp(b * (log(x) - log(e))))^f

conc4 <- rep(c(0.1, 0.3, 0.9, 2.7, 8.1, 24.3, 72.9, 218.7), each = 3)
od4 <- ll5(conc4, 1.1, 0.07, 2.6, 6) * exp(rnorm(length(conc4), 0, 0.04))
conc5 <- rep(0.01 * 3^(0:10), each = 3)
od5 <- ll5(conc5, -0.9, 0.05, 3.0, 4, 0.4) * exp(rnorm(length(conc5), 0, 0.015))
data <- rbind(data.frame(dataset = "ll4", conc = conc4, od = od4),
              data.frame(dataset = "ll5", conc = conc5, od = od5))
write.csv(data, "tests/reference/plates_curves_data.csv", row.names = FALSE)

ctl <- nls.control(maxiter = 1000, tol = 1e-6, minFactor = 1e-12)
f4 <- od ~ c + (d - c) / (1 + exp(b * (log(conc) - log(e))))
f5 <- od ~ c + (d - c) / (1 + exp(b * (log(conc) - log(e))))^f

params <- list()
inverse <- list()
for (ds in c("ll4", "ll5")) {
  dat <- data[data$dataset == ds, ]
  for (wt in c("none", "1/y^2")) {
    w <- if (wt == "none") rep(1, nrow(dat)) else 1 / dat$od^2
    dat$w <- w
    ss <- nls(od ~ SSfpl(log(conc), A, B, xmid, scal), data = dat, weights = w)
    p <- coef(ss)
    st <- list(b = -1 / p[["scal"]], c = p[["A"]], d = p[["B"]], e = exp(p[["xmid"]]))
    if (st$c > st$d) st <- list(b = -st$b, c = st$d, d = st$c, e = st$e)
    fits <- list()
    fits[["4pl"]] <- nls(f4, data = dat, weights = w, start = st, control = ctl)
    # SSfpl's own estimates, mapped, must equal the explicit fit's (up to nls' tolerance)
    stopifnot(max(abs(unlist(st) / coef(fits[["4pl"]]) - 1)) < 1e-4)
    params[[length(params) + 1]] <- data.frame(
      dataset = ds, model = "4pl_ssfpl", weights = wt, term = c("b", "c", "d", "e"),
      estimate = unlist(st), std_error = NA, sigma = summary(ss)$sigma, df = summary(ss)$df[2],
      aic = AIC(ss), rss = deviance(ss))
    best <- NULL
    starts <- list()
    for (f0 in c(0.25, 0.5, 1, 2, 4)) {
      starts[[length(starts) + 1]] <- c(st, f = f0)
      starts[[length(starts) + 1]] <- list(b = -st$b, c = st$d, d = st$c, e = st$e, f = f0)
    }
    for (s5 in starts) {
      fit <- try(nls(f5, data = dat, weights = w, start = s5, control = ctl), silent = TRUE)
      if (!inherits(fit, "try-error") &&
          (is.null(best) || deviance(fit) < deviance(best))) best <- fit
    }
    fits[["5pl"]] <- best
    for (m in names(fits)) {
      fit <- fits[[m]]
      s <- summary(fit)
      co <- s$coefficients
      params[[length(params) + 1]] <- data.frame(
        dataset = ds, model = m, weights = wt, term = rownames(co),
        estimate = co[, "Estimate"], std_error = co[, "Std. Error"],
        sigma = s$sigma, df = s$df[2], aic = AIC(fit), rss = deviance(fit))
      cf <- as.list(coef(fit))
      if (is.null(cf$f)) cf$f <- 1
      ygrid <- quantile(dat$od, c(0.1, 0.25, 0.5, 0.75, 0.9), names = FALSE)
      g <- deriv(~ log(e) + log(((d - c) / (y - c))^(1 / f) - 1) / b,
                 c("b", "c", "d", "e", "f", "y"), function.arg = c("b", "c", "d", "e", "f", "y"))
      for (y in ygrid) {
        val <- g(cf$b, cf$c, cf$d, cf$e, cf$f, y)
        grad <- attr(val, "gradient")
        terms <- rownames(vcov(fit))
        gp <- grad[, terms, drop = FALSE]
        vy <- s$sigma^2 * (if (wt == "none") 1 else y^2)
        se_log <- sqrt(as.numeric(gp %*% vcov(fit) %*% t(gp)) + grad[, "y"]^2 * vy)
        inverse[[length(inverse) + 1]] <- data.frame(
          dataset = ds, model = m, weights = wt, od = y,
          concentration = exp(as.numeric(val)), se_log = se_log)
      }
    }
  }
}
write.csv(do.call(rbind, params), "tests/reference/plates_curves_params.csv", row.names = FALSE)
write.csv(do.call(rbind, inverse), "tests/reference/plates_curves_inverse.csv",
          row.names = FALSE)
writeLines(capture.output(sessionInfo()), "tests/reference/plates_curves_sessionInfo.txt")
