# Reference values for tests/test_assays.py: replicate statistics, intra- and inter-assay CVs
# and the one-way ANOVA of control wells on plate, computed with base R (stats::aov, sd).
# Input: assays_plates.csv (simulated plate data, 3 plates x 2 analytes, controls CTRL_low /
# CTRL_high in duplicate or triplicate, subject samples in duplicate).
# Run from tests/reference:  Rscript assays_plates.R
d <- read.csv("assays_plates.csv", stringsAsFactors = FALSE, na.strings = c("", "NA"))
d$key <- ifelse(d$sample_type == "control",
                paste(d$subject_id, d$plate_id, d$analyte, sep = "|"),
                paste(d$sample_id, d$analyte, sep = "|"))

# per-sample replicate statistics (SD with n - 1; CV in %)
per <- do.call(rbind, lapply(split(d, d$key), function(g) {
  data.frame(key = g$key[1], plate_id = g$plate_id[1], analyte = g$analyte[1],
             mean = mean(g$value), sd = sd(g$value), cv = 100 * sd(g$value) / mean(g$value),
             n_replicates = nrow(g))
}))
per <- per[order(per$key), ]
write.csv(per, "assays_plates_per_sample.csv", row.names = FALSE)

# intra-assay CV: mean of per-sample CVs per plate and analyte
intra <- aggregate(cv ~ plate_id + analyte, data = per, FUN = mean)
intra$n_samples <- aggregate(cv ~ plate_id + analyte, data = per, FUN = length)$cv
names(intra)[names(intra) == "cv"] <- "intra_cv"
write.csv(intra, "assays_plates_intra.csv", row.names = FALSE)

# inter-assay CV: CV of each control's plate means across plates
ctrl <- d[d$sample_type == "control", ]
pm <- aggregate(value ~ analyte + subject_id + plate_id, data = ctrl, FUN = mean)
inter <- do.call(rbind, lapply(split(pm, paste(pm$analyte, pm$subject_id)), function(g) {
  data.frame(analyte = g$analyte[1], control = g$subject_id[1], n_plates = nrow(g),
             mean = mean(g$value), sd = sd(g$value), inter_cv = 100 * sd(g$value) / mean(g$value))
}))
write.csv(inter, "assays_plates_inter.csv", row.names = FALSE)

# plate effect: one-way ANOVA of control wells on plate, per analyte and control level
anova_rows <- do.call(rbind, lapply(split(ctrl, paste(ctrl$analyte, ctrl$subject_id)), function(g) {
  tab <- summary(aov(value ~ factor(plate_id), data = g))[[1]]
  data.frame(analyte = g$analyte[1], control = g$subject_id[1],
             statistic = tab[1, "F value"], df_num = tab[1, "Df"], df_denom = tab[2, "Df"],
             p_value = tab[1, "Pr(>F)"])
}))
write.csv(anova_rows, "assays_plates_anova.csv", row.names = FALSE)
