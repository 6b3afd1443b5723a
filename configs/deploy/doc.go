// Package deploy holds provwatch's deployment templates: the ECS task
// definition and service, the IAM policy, the Lambda + EventBridge Scheduler
// CloudFormation template, the CDK snippet, and the OpenClaw gateway image
// with `provwatch follow` (openclaw-follow.Dockerfile, openclaw-start.sh,
// iam-policy-follow.json). It has no Go code of its own: its tests load every
// template (and the repository's Dockerfile) and check them against the
// settings and defaults the code really uses, so a template cannot drift
// from the binary unnoticed.
package deploy
