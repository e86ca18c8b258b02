module github.com/graceful-rollout/graceful-rollout/lab/pause

go 1.26
