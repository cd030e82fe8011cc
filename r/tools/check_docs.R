# Checks the help pages (r/man) against the package installed in a library, with base R's
# tools only (make test-r: Rscript r/tools/check_docs.R r/.rlib):
#   - every Rd file parses cleanly (tools::checkRd);
#   - the installed package has the same help pages as r/man (reinstall after editing them);
#   - no exported object or class is undocumented (tools::undoc);
#   - usage sections match the functions (tools::codoc) and every argument is documented
#     (tools::checkDocFiles);
#   - every example runs without error or warning (tools::Rd2ex, then sourced).
# Prints one line per problem and a summary line; exits non-zero on any problem.
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript check_docs.R LIBRARY")
lib <- normalizePath(args[1])
.libPaths(c(lib, .libPaths()))
here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))))
man <- file.path(dirname(here), "man")
pkg <- "hnswlibrs"

problems <- character()
count <- 0
problem <- function(what, lines) {
  lines <- lines[nzchar(trimws(lines))]
  if (length(lines)) {
    problems <<- c(problems, paste0(what, ": ", lines))
    count <<- count + 1
  }
}

# Runs expr; returns its value, recording its warnings and error as problems of `what`.
checked <- function(what, expr) {
  withCallingHandlers(
    tryCatch(expr, error = function(e) {
      problem(what, paste("error:", conditionMessage(e)))
      NULL
    }),
    warning = function(w) {
      problem(what, paste("warning:", conditionMessage(w)))
      invokeRestart("muffleWarning")
    }
  )
}

rd_files <- sort(list.files(man, pattern = "\\.Rd$", full.names = TRUE))
if (!length(rd_files)) problem("man", paste("no Rd files in", man))

# 1. Each Rd file parses and passes checkRd.
for (f in rd_files) {
  out <- checked(basename(f), tools::checkRd(f))
  problem(basename(f), as.character(out))
}

# 2. The installed help pages are these ones.
installed <- checked("installed help", names(tools::Rd_db(pkg, lib.loc = lib)))
if (!is.null(installed) && !setequal(installed, basename(rd_files))) {
  problem("installed help", sprintf(
    "the installed package has pages %s but r/man has %s; reinstall the package",
    paste(sort(installed), collapse = " "), paste(basename(rd_files), collapse = " ")))
}

# 3. Documentation against the code of the installed package.
for (check in c("undoc", "codoc", "checkDocFiles")) {
  fun <- getExportedValue("tools", check)
  res <- checked(check, fun(package = pkg, lib.loc = lib))
  if (!is.null(res)) problem(check, utils::capture.output(print(res)))
}

# 4. Every example runs, each in a fresh environment, with the package attached.
suppressPackageStartupMessages(library(pkg, lib.loc = lib, character.only = TRUE))
ran <- 0
for (f in rd_files) {
  ex <- tempfile(fileext = ".R")
  tools::Rd2ex(f, ex, commentDontrun = TRUE, commentDonttest = FALSE)
  if (!file.exists(ex)) next
  set.seed(1)
  what <- paste("examples of", basename(f))
  before <- count
  checked(what, utils::capture.output(source(ex, local = new.env(), echo = FALSE)))
  if (count == before) ran <- ran + 1
  unlink(ex)
}

writeLines(problems)
cat(sprintf("docs: %d Rd files, %d with examples that ran cleanly, %d problems\n",
            length(rd_files), ran, count))
quit(status = if (count) 1 else 0)
