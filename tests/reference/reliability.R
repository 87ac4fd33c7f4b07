# Reference values for tests/test_reliability.py and tests/test_instruments.py, from R psych.
# Run from the repository root:  Rscript tests/reference/reliability.R
# Reads  tests/reference/reliability_data.csv, reliability_rmet_key.csv
# Writes tests/reference/reliability_psych.csv        (one row per scale)
#        tests/reference/reliability_psych_items.csv  (one row per scale x item)
#        tests/reference/reliability_psych_scores.csv (scale sums from psych::scoreItems)
# Quantities:
#   alpha, average_r             psych::alpha(...)$total raw_alpha, average_r
#   feldt_low, feldt_high        psych::alpha(...)$feldt (Feldt, Woodruff & Salih 1987), 95%
#   r_drop, alpha_drop           psych::alpha(...)$item.stats$r.drop, $alpha.drop$raw_alpha
#   omega_ml                     from psych::fa(nfactors = 1, fm = "ml") on the correlations:
#                                (sum loadings)^2 / ((sum loadings)^2 + sum uniquenesses)
# (psych::omega needs GPArotation, which is not installed here; for one factor its omega
#  total uses the sum of the observed correlations in the denominator, a different quantity.)
suppressPackageStartupMessages(library(psych))
ref <- "tests/reference"
d <- read.csv(file.path(ref, "reliability_data.csv"))
key <- read.csv(file.path(ref, "reliability_rmet_key.csv"))

iri <- list(pt = c(3, 8, 11, 15, 21, 25, 28), fs = c(1, 5, 7, 12, 16, 23, 26),
            ec = c(2, 4, 9, 14, 18, 20, 22), pd = c(6, 10, 13, 17, 19, 24, 27))
iri_rev <- c(3, 4, 7, 12, 13, 14, 15, 18, 19)
pss_rev <- c(4, 5, 7, 8)

keyed <- function(prefix, items, rev, lo, hi) {
  m <- as.data.frame(d[, paste0(prefix, "_", items)])
  for (i in intersect(items, rev)) {
    col <- paste0(prefix, "_", i)
    m[[col]] <- lo + hi - m[[col]]
  }
  m
}
scales <- list()
for (s in names(iri)) scales[[paste0("iri_", s)]] <- keyed("iri", iri[[s]], iri_rev, 0, 4)
scales[["pss10_total"]] <- keyed("pss10", 1:10, pss_rev, 0, 4)
rmet <- sapply(1:36, function(i) as.numeric(d[[paste0("rmet_", i)]] == key$correct[i]))
colnames(rmet) <- paste0("rmet_", 1:36)
scales[["rmet_total"]] <- as.data.frame(rmet)

rows <- list(); item_rows <- list()
for (s in names(scales)) {
  m <- scales[[s]]
  a <- psych::alpha(m, check.keys = FALSE, warnings = FALSE)
  f <- psych::fa(m, nfactors = 1, fm = "ml")
  L <- as.numeric(f$loadings[, 1]); u <- as.numeric(f$uniquenesses)
  rows[[s]] <- data.frame(
    scale = s, n = nrow(m), n_items = ncol(m),
    alpha = a$total$raw_alpha, average_r = a$total$average_r,
    feldt_low = as.numeric(a$feldt$lower.ci), feldt_high = as.numeric(a$feldt$upper.ci),
    omega_ml = sum(L)^2 / (sum(L)^2 + sum(u)))
  item_rows[[s]] <- data.frame(
    scale = s, item = sub(".*_", "", colnames(m)),
    r_drop = a$item.stats$r.drop, alpha_drop = a$alpha.drop$raw_alpha,
    loading_ml = L)
}
write.csv(do.call(rbind, rows), file.path(ref, "reliability_psych.csv"), row.names = FALSE)
write.csv(do.call(rbind, item_rows), file.path(ref, "reliability_psych_items.csv"),
          row.names = FALSE)

# scale sums with reverse keys by psych::scoreItems (no missing data here)
keys_list <- list()
for (s in names(iri)) keys_list[[paste0("iri_", s)]] <- ifelse(
  iri[[s]] %in% iri_rev, paste0("-iri_", iri[[s]]), paste0("iri_", iri[[s]]))
keys_list[["pss10_total"]] <- ifelse(1:10 %in% pss_rev, paste0("-pss10_", 1:10),
                                     paste0("pss10_", 1:10))
items <- d[, grepl("^(iri|pss10)_", names(d))]
sc <- suppressWarnings(psych::scoreItems(keys_list, items, totals = TRUE, min = 0, max = 4, impute = "none"))
scores <- data.frame(subject_id = d$subject_id, sc$scores)
scores$rmet_total <- rowSums(rmet)
write.csv(scores, file.path(ref, "reliability_psych_scores.csv"), row.names = FALSE)
cat("psych", as.character(packageVersion("psych")), "\n")
