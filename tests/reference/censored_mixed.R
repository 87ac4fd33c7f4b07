# Reference values for hormonestats.censored_mixed (Gaussian mixed model with a censored
# outcome). Run from tests/reference/:  Rscript censored_mixed.R
#
# An INDEPENDENT implementation in base R of the same marginal likelihood: each row contributes
# its normal density (observed) or the normal probability of its interval (below a limit, above
# a limit, or between two limits), given the group's random effects b = L u, u ~ N(0, I).
# The integral over u is computed by adaptive Gauss-Hermite quadrature: nodes and weights from
# the Golub-Welsch eigenvalue method (eigen() of the Jacobi matrix of the probabilists' Hermite
# polynomials), centred at each group's mode (found by optimize()/optim(), then Newton's method
# on the analytic derivatives) and scaled by the Cholesky factor of the Hessian there.
# The parameters (beta, log sigma, log diag L, off-diagonal L) are maximised by nlminb with
# tight tolerances, then polished by Newton steps on a central-difference Hessian; standard
# errors come from the inverse of that Hessian.
#
# Data:
#   censored_mixed_sim.csv  simulated cycle study (60 women x 8 samples, log progesterone, two
#                           plates with their own LOD, an upper limit of quantification, and
#                           an LLOQ: readings between LOD and LLOQ also given as an interval)
#   sleepstudy (lme4, Belenky et al. 2003): Reaction with a censoring threshold IMPOSED here:
#                           readings below 250 ms are treated as left-censored at 250 ms, above
#                           420 ms as right-censored at 420 ms (written as
#                           censored_mixed_sleepstudy.csv).
# Models (model, method):
#   sim_ri       log_p4 ~ luteal + age_c + (1 | subject_id), left+right censoring, AGQ 60 nodes
#   sim_interval same with the interval form (lower/upper), AGQ 60 nodes
#   sim_rs       log_p4 ~ luteal + age_c + (1 + luteal | subject_id): Laplace, and 2-D AGQ
#                with 12 x 12 nodes (started at the Laplace optimum)
#   sleep_ri     Reaction ~ Days + (1 | Subject), AGQ 60 nodes
#   sleep_rs     Reaction ~ Days + (1 + Days | Subject): Laplace, and 2-D AGQ 12 x 12 nodes
# Output: censored_mixed_ref.csv (model, method, n_agq, term, estimate, std_error, time_s);
# term "loglik" holds the maximised log-likelihood. censored_mixed_R_sessionInfo.txt.
options(digits = 15)

gh_rule <- function(n) {
  if (n == 1) return(list(z = 0, w = 1))
  J <- matrix(0, n, n)
  off <- sqrt(seq_len(n - 1))
  J[cbind(1:(n - 1), 2:n)] <- off
  J[cbind(2:n, 1:(n - 1))] <- off
  e <- eigen(J, symmetric = TRUE)
  list(z = e$values, w = e$vectors[1, ]^2)
}

# log-probability of each reading given its mean (lo == hi: observed)
row_logp <- function(mu, lo, hi, s) {
  out <- numeric(length(mu))
  obs <- is.finite(lo) & is.finite(hi) & lo == hi
  left <- !is.finite(lo) & !obs
  right <- !is.finite(hi) & !obs
  inter <- !(obs | left | right)
  out[obs] <- dnorm(lo[obs], mu[obs], s, log = TRUE)
  out[left] <- pnorm(hi[left], mu[left], s, log.p = TRUE)
  out[right] <- pnorm(lo[right], mu[right], s, lower.tail = FALSE, log.p = TRUE)
  if (any(inter)) {
    a <- (lo[inter] - mu[inter]) / s; b <- (hi[inter] - mu[inter]) / s
    up <- a > 0
    p <- ifelse(up, pnorm(-a) - pnorm(-b), pnorm(b) - pnorm(a))
    out[inter] <- log(p)
  }
  out
}

# first and second derivatives of row_logp in the mean mu
row_deriv <- function(mu, lo, hi, s) {
  d1 <- numeric(length(mu)); d2 <- numeric(length(mu))
  obs <- is.finite(lo) & is.finite(hi) & lo == hi
  left <- !is.finite(lo) & !obs
  right <- !is.finite(hi) & !obs
  inter <- !(obs | left | right)
  d1[obs] <- (lo[obs] - mu[obs]) / s^2
  d2[obs] <- -1 / s^2
  z <- (hi[left] - mu[left]) / s
  r <- exp(dnorm(z, log = TRUE) - pnorm(z, log.p = TRUE))
  d1[left] <- -r / s
  d2[left] <- -(z * r + r^2) / s^2
  z <- (lo[right] - mu[right]) / s
  r <- exp(dnorm(z, log = TRUE) - pnorm(z, lower.tail = FALSE, log.p = TRUE))
  d1[right] <- r / s
  d2[right] <- (z * r - r^2) / s^2
  if (any(inter)) {
    a <- (lo[inter] - mu[inter]) / s; b <- (hi[inter] - mu[inter]) / s
    P <- ifelse(a > 0, pnorm(-a) - pnorm(-b), pnorm(b) - pnorm(a))
    ra <- dnorm(a) / P; rb <- dnorm(b) / P
    d1[inter] <- (ra - rb) / s
    d2[inter] <- (a * ra - b * rb - (ra - rb)^2) / s^2
  }
  list(d1 = d1, d2 = d2)
}

make_L <- function(par, q) {
  L <- matrix(0, q, q)
  diag(L) <- exp(par[1:q])
  if (q > 1) L[lower.tri(L)] <- par[(q + 1):length(par)]
  L
}

num_hess <- function(f, x, h = 1e-4) {
  k <- length(x); H <- matrix(0, k, k); f0 <- f(x)
  for (i in 1:k) for (j in 1:i) {
    ei <- numeric(k); ej <- numeric(k); ei[i] <- h; ej[j] <- h
    if (i == j) {
      H[i, i] <- (f(x + ei) - 2 * f0 + f(x - ei)) / h^2
    } else {
      H[i, j] <- H[j, i] <- (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) +
                             f(x - ei - ej)) / (4 * h^2)
    }
  }
  H
}

num_grad <- function(f, x, h = 1e-5) {
  sapply(seq_along(x), function(i) { e <- numeric(length(x)); e[i] <- h
    (f(x + e) - f(x - e)) / (2 * h) })
}

# one group's log marginal likelihood by AGQ with n nodes per dimension (n = 1: Laplace);
# the mode is found by Newton's method (analytic derivatives, step halving), started from the
# group's previous mode (first call: optimize() for one dimension, optim() for two)
mode_cache <- new.env()
group_loglik <- function(key, Xb, ZL, lo, hi, s, rule, q) {
  hfun <- function(u) -sum(row_logp(Xb + ZL %*% u, lo, hi, s)) + sum(u^2) / 2
  u <- mode_cache[[key]]
  if (is.null(u)) {
    u <- if (q == 1) optimize(function(v) hfun(v), c(-15, 15), tol = 1e-12)$minimum else
      optim(rep(0, q), hfun, method = "BFGS", control = list(reltol = 1e-15))$par
  }
  derivs <- function(u) {
    dd <- row_deriv(as.vector(Xb + ZL %*% u), lo, hi, s)
    list(g = -as.vector(crossprod(ZL, dd$d1)) + u,
         H = -crossprod(ZL, dd$d2 * ZL) + diag(q))
  }
  hu <- hfun(u)
  for (it in 1:100) {  # Newton's method on the analytic gradient and Hessian of h
    dv <- derivs(u)
    step <- solve(dv$H, dv$g); t <- 1
    repeat {
      new <- u - t * step; hn <- hfun(new)
      if (hn <= hu + 1e-13 * abs(hu) || t < 1e-8) break
      t <- t / 2
    }
    u <- new; hu <- hn
    if (max(abs(t * step)) < 1e-12) break
  }
  mode_cache[[key]] <- u
  H <- derivs(u)$H
  C <- t(chol(H))                       # H = C C'
  CinvT <- t(solve(C))                  # C^{-T}
  Zg <- as.matrix(rule$Z)               # K x q nodes
  U <- sweep(Zg %*% t(CinvT), 2, u, "+")  # K x q points u + C^{-T} z
  MU <- as.vector(Xb) + ZL %*% t(U)      # n_i x K means
  LP <- matrix(row_logp(as.vector(MU), rep(lo, ncol(MU)), rep(hi, ncol(MU)), s),
               nrow = nrow(MU))
  hk <- -colSums(LP) + rowSums(U^2) / 2
  terms <- log(rule$W) + rowSums(Zg^2) / 2 - hk
  m <- max(terms)
  -sum(log(diag(C))) + m + log(sum(exp(terms - m)))
}

marginal_loglik <- function(theta, X, Z, grp, lo, hi, rule) {
  p <- ncol(X); q <- ncol(Z)
  beta <- theta[1:p]; s <- exp(theta[p + 1]); L <- make_L(theta[(p + 2):length(theta)], q)
  Xb <- X %*% beta; ZL <- Z %*% L
  total <- 0
  groups <- split(seq_len(nrow(X)), grp)
  for (k in names(groups)) {
    g <- groups[[k]]
    total <- total + group_loglik(paste(q, k), Xb[g], ZL[g, , drop = FALSE], lo[g], hi[g], s,
                                  rule, q)
  }
  total
}

product_rule <- function(n, q) {
  r <- gh_rule(n)
  idx <- as.matrix(expand.grid(rep(list(seq_len(n)), q)))
  list(Z = matrix(r$z[idx], ncol = q), W = apply(matrix(r$w[idx], ncol = q), 1, prod))
}

fit_model <- function(X, Z, grp, lo, hi, n_agq, start) {
  q <- ncol(Z)
  rule <- product_rule(n_agq, q)
  f <- function(t) -marginal_loglik(t, X, Z, grp, lo, hi, rule)
  t0 <- proc.time()[["elapsed"]]
  opt <- nlminb(start, f, control = list(rel.tol = 1e-14, x.tol = 1e-12, eval.max = 5000,
                                         iter.max = 2000))
  th <- opt$par
  fth <- f(th)
  for (it in 1:6) {  # Newton polishing on the central-difference Hessian (kept if better)
    H <- num_hess(f, th, 1e-4); g <- num_grad(f, th, 1e-5)
    new <- th - solve(H, g)
    fn <- f(new)
    if (!is.finite(fn) || fn > fth + 1e-10) break
    th <- new; fth <- fn
  }
  cat("  nlminb:", opt$message, "objective", format(opt$objective, digits = 15), "\n")
  H <- num_hess(f, th, 1e-4)
  elapsed <- proc.time()[["elapsed"]] - t0
  list(theta = th, se = sqrt(diag(solve(H))), loglik = -f(th), time = elapsed,
       grad = num_grad(f, th, 1e-5))
}

bounds_indicator <- function(y, cens, limit) {
  lo <- ifelse(cens == "none", y, ifelse(cens == "left", -Inf, limit))
  hi <- ifelse(cens == "none", y, ifelse(cens == "left", limit, Inf))
  list(lo = lo, hi = hi)
}

rows <- list()
record <- function(model, method, n_agq, names, fit) {
  rows[[length(rows) + 1]] <<- data.frame(
    model = model, method = method, n_agq = n_agq, term = c(names, "loglik"),
    estimate = c(fit$theta, fit$loglik), std_error = c(fit$se, NA), time_s = fit$time)
  cat(model, method, n_agq, "loglik", format(fit$loglik, digits = 15), "max|grad|",
      max(abs(fit$grad)), "time", fit$time, "\n")
}

# ---- simulated cycle study ----------------------------------------------------------------
set.seed(20261207)
n_sub <- 60; n_rep <- 8
d <- data.frame(subject_id = sprintf("s%02d", rep(1:n_sub, each = n_rep)),
                sample = rep(1:n_rep, n_sub))
d$cycle_day <- pmin(28, pmax(1, rep(seq(3, 27, length.out = n_rep), n_sub) +
                                  round(rnorm(nrow(d), 0, 1.5))))
d$luteal <- as.integer(d$cycle_day >= 15)
age <- round(rnorm(n_sub, 30, 5))
d$age_c <- rep(age, each = n_rep) - 30
b0 <- rnorm(n_sub, 0, 0.7)
b1 <- 0.3 * b0 / 0.7 * 0.4 + rnorm(n_sub, 0, 0.4 * sqrt(1 - 0.3^2))
sid <- rep(1:n_sub, each = n_rep)
latent <- -1.0 + 1.6 * d$luteal + 0.02 * d$age_c + b0[sid] + b1[sid] * d$luteal +
  rnorm(nrow(d), 0, 0.6)
d$plate <- ifelse(d$sample <= 4, "A", "B")
lod <- ifelse(d$plate == "A", log(0.3), log(0.4))
lloq <- lod + 0.3
uloq <- 2.0
d$censored <- ifelse(latent < lod, "left", ifelse(latent > uloq, "right", "none"))
d$lod_limit <- ifelse(d$censored == "right", uloq, lod)
d$log_p4 <- ifelse(d$censored == "none", round(latent, 6), NA)
# the same readings as a lab reporting [LOD, LLOQ] for values between the two
d$lower <- ifelse(d$censored == "left", NA, ifelse(d$censored == "right", uloq,
                  ifelse(latent < lloq, lod, d$log_p4)))
d$upper <- ifelse(d$censored == "left", lod, ifelse(d$censored == "right", NA,
                  ifelse(latent < lloq, lloq, d$log_p4)))
write.csv(d, "censored_mixed_sim.csv", row.names = FALSE)
cat("sim: left", sum(d$censored == "left"), "right", sum(d$censored == "right"),
    "interval", sum(!is.na(d$lower) & !is.na(d$upper) & d$lower < d$upper), "of", nrow(d), "\n")

X <- cbind(1, d$luteal, d$age_c)
bx <- bounds_indicator(d$log_p4, d$censored, d$lod_limit)
fe <- c("Intercept", "luteal", "age_c")
start1 <- c(-1, 1.5, 0, log(0.6), log(0.7))
Z1 <- matrix(1, nrow(d), 1)
record("sim_ri", "agq", 60, c(fe, "log_sigma", "log_L11"),
       fit_model(X, Z1, d$subject_id, bx$lo, bx$hi, 60, start1))
lo_i <- ifelse(is.na(d$lower), -Inf, d$lower); hi_i <- ifelse(is.na(d$upper), Inf, d$upper)
record("sim_interval", "agq", 60, c(fe, "log_sigma", "log_L11"),
       fit_model(X, Z1, d$subject_id, lo_i, hi_i, 60, start1))
Z2 <- cbind(1, d$luteal)
start2 <- c(-1, 1.5, 0, log(0.6), log(0.7), log(0.4), 0.1)
rs_names <- c(fe, "log_sigma", "log_L11", "log_L22", "L21")
record("sim_rs", "laplace", 1, rs_names, fit_model(X, Z2, d$subject_id, bx$lo, bx$hi, 1, start2))
lap <- rows[[length(rows)]]$estimate[seq_along(start2)]
record("sim_rs", "agq", 12, rs_names, fit_model(X, Z2, d$subject_id, bx$lo, bx$hi, 12, lap))

# ---- lme4's sleepstudy with an imposed censoring threshold ---------------------------------
data("sleepstudy", package = "lme4")
s <- sleepstudy
s$censored <- ifelse(s$Reaction < 250, "left", ifelse(s$Reaction > 420, "right", "none"))
s$limit <- ifelse(s$censored == "left", 250, 420)
s$Reaction_obs <- ifelse(s$censored == "none", s$Reaction, NA)
write.csv(data.frame(Subject = s$Subject, Days = s$Days, Reaction = s$Reaction_obs,
                     censored = s$censored, lod_limit = s$limit),
          "censored_mixed_sleepstudy.csv", row.names = FALSE)
cat("sleepstudy: left", sum(s$censored == "left"), "right", sum(s$censored == "right"), "\n")
Xs <- cbind(1, s$Days)
bs <- bounds_indicator(s$Reaction_obs, s$censored, s$limit)
record("sleep_ri", "agq", 60, c("Intercept", "Days", "log_sigma", "log_L11"),
       fit_model(Xs, matrix(1, nrow(s), 1), s$Subject, bs$lo, bs$hi, 60,
                 c(250, 10, log(30), log(35))))
rs2 <- c("Intercept", "Days", "log_sigma", "log_L11", "log_L22", "L21")
st <- c(250, 10, log(25), log(25), log(6), 0)
record("sleep_rs", "laplace", 1, rs2, fit_model(Xs, cbind(1, s$Days), s$Subject, bs$lo, bs$hi,
                                                 1, st))
lap <- rows[[length(rows)]]$estimate[seq_along(st)]
record("sleep_rs", "agq", 12, rs2, fit_model(Xs, cbind(1, s$Days), s$Subject, bs$lo, bs$hi,
                                              12, lap))

write.csv(do.call(rbind, rows), "censored_mixed_ref.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "censored_mixed_R_sessionInfo.txt")
