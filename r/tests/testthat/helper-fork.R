# Runs f(x) for each x in a forked R process (parallel::mcparallel, what
# parallel::mclapply forks with) and collects the results, waiting at most `seconds` in
# all: workers still running then are killed, and their results are "timed out", so a
# hang fails the test instead of blocking the suite.
fork_each <- function(xs, f, seconds = 120) {
  jobs <- lapply(xs, function(x) parallel::mcparallel(f(x), silent = TRUE))
  pids <- vapply(jobs, function(j) j$pid, numeric(1))
  out <- rep(list("timed out"), length(jobs))
  pending <- seq_along(jobs)
  deadline <- Sys.time() + seconds
  while (length(pending) && Sys.time() < deadline) {
    got <- parallel::mccollect(jobs[pending], wait = FALSE, timeout = 1)
    for (pid in names(got)) {
      i <- match(as.numeric(pid), pids)
      out[i] <- list(got[[pid]])
      pending <- setdiff(pending, i)
    }
  }
  if (length(pending)) {
    tools::pskill(pids[pending])
    parallel::mccollect(jobs[pending], wait = TRUE, timeout = 5)
  }
  out
}
