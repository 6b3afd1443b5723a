/**
 * CDK (TypeScript, aws-cdk-lib v2) lines for wiring provwatch and OpenClaw
 * together on ECS: the order parameter provwatch writes, the OpenClaw
 * task's follower that applies it to the running gateway, and provwatch's
 * own secrets and grants. Paste into your Stack; `openclawTask`,
 * `openclawContainer`, `provwatchTask` and `provwatchContainer` are your
 * existing ecs.FargateTaskDefinition / ecs.ContainerDefinition objects.
 * Type-checked with tsc --strict against aws-cdk-lib 2.276; not synthesized.
 */
import * as cdk from "aws-cdk-lib";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as ssm from "aws-cdk-lib/aws-ssm";

declare const stack: cdk.Stack;
declare const openclawTask: ecs.FargateTaskDefinition;
declare const openclawContainer: ecs.ContainerDefinition;
declare const provwatchTask: ecs.FargateTaskDefinition;
declare const provwatchContainer: ecs.ContainerDefinition;
declare const secretsKey: kms.IKey; // the customer managed key of the SecureStrings

// CDK creates the order parameter with the configured order, so a gateway
// that starts before provwatch's first write finds one. CloudFormation
// rewrites it only when this value changes in the template; provwatch's
// writes in between are kept.
const modelOrder = new ssm.StringParameter(stack, "ModelOrder", {
  parameterName: "/openclaw/model-order",
  tier: ssm.ParameterTier.STANDARD,
  description: "OpenClaw agents.defaults.model, kept current by provwatch",
  stringValue: JSON.stringify({
    primary: "openrouter/google/gemini-flash-1.5",
    fallbacks: ["anthropic/claude-3-5-sonnet-20241022", "ollama/qwen3-coder"],
  }),
});

// OpenClaw side: the gateway image with provwatch-follow inside
// (openclaw-follow.Dockerfile) runs it (`provwatch follow` alone), which reads the
// parameter every 5 s and applies each change to the running gateway's
// config. Its task role may read that one parameter and nothing else
// (iam-policy-follow.json).
openclawContainer.addEnvironment("PROVWATCH_FOLLOW_FROM", "ssm:/openclaw/model-order");
openclawTask.addToTaskRolePolicy(new iam.PolicyStatement({
  actions: ["ssm:GetParameter"],
  resources: [modelOrder.parameterArn],
}));

// provwatch side: provider keys from SecureString parameters, read by the
// execution role at start and referenced as ${OPENROUTER_API_KEY} in the config.
for (const [envName, param] of [
  ["OPENROUTER_API_KEY", "/openclaw/keys/openrouter"],
  ["ANTHROPIC_API_KEY", "/openclaw/keys/anthropic"],
]) {
  const key = ssm.StringParameter.fromSecureStringParameterAttributes(stack, `Key${envName}`, {
    parameterName: param,
    encryptionKey: secretsKey,
  });
  provwatchContainer.addSecret(envName, ecs.Secret.fromSsmParameter(key));
}

// The task role: exactly configs/deploy/iam-policy.json.
const paramArn = (name: string) =>
  stack.formatArn({ service: "ssm", resource: "parameter", resourceName: name.replace(/^\//, "") });
provwatchTask.addToTaskRolePolicy(new iam.PolicyStatement({
  actions: ["cloudwatch:PutMetricData"],
  resources: ["*"],
  conditions: { StringEquals: { "cloudwatch:namespace": "OpenClaw/ProviderHealth" } },
}));
provwatchTask.addToTaskRolePolicy(new iam.PolicyStatement({
  actions: ["ssm:GetParameter"],
  resources: [paramArn("/openclaw/config")],
}));
provwatchTask.addToTaskRolePolicy(new iam.PolicyStatement({
  actions: ["ssm:GetParameter", "ssm:PutParameter", "ssm:GetParameterHistory"],
  resources: [modelOrder.parameterArn, paramArn("/openclaw/provwatch-state")],
}));
provwatchTask.addToTaskRolePolicy(new iam.PolicyStatement({
  actions: ["kms:Decrypt"],
  resources: [secretsKey.keyArn],
  conditions: { StringEquals: { "kms:ViaService": `ssm.${stack.region}.amazonaws.com` } },
}));
// Only when the settings have an sns: notify destination, also grant sns:Publish on that
// topic, as configs/deploy/iam-policy-sns.json does: alertsTopic.grantPublish(provwatchTask.taskRole).
