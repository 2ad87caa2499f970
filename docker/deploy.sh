#!/usr/bin/env bash
# Deploy FastShip to ECS Fargate: image → task definitions → migrations → services.
#
# Stops at the first failure with a message saying which step failed. Honours
# AWS_ENDPOINT_URL (the suite runs the registration steps against moto's server).
#
# Required environment (see README, "Deploying"):
#   AWS_REGION ENVIRONMENT CLUSTER IMAGE_REPOSITORY EXECUTION_ROLE_ARN TASK_ROLE_ARN
#   SECRETS_ARN_PREFIX API_HOSTNAME EMAIL_HOST EMAIL_HOST_USER DEFAULT_FROM_EMAIL
#   VPC_CIDR PRIVATE_SUBNET_A PRIVATE_SUBNET_B API_SECURITY_GROUP
# PYTHON (default python3) runs docker/ecs_rules.py and needs botocore and
#   cfn-lint: use .venv/bin/python after `make install`.
# Optional: IMAGE_TAG (default: the git commit), SKIP_BUILD=1 (image already pushed),
#   MIGRATE_TIMEOUT (seconds, default 600), MIGRATE_POLL_SECONDS (default 5),
#   WAIT_STABLE=0 (skip the final wait: for emulators such as moto, whose
#   services never run tasks).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/.." && pwd)
python=${PYTHON:-python3}
step="start"
trap 'echo "deploy: FAILED at step: $step" >&2' ERR

fail() { echo "deploy: $*" >&2; exit 1; }
say() { echo "deploy: $*"; }

required=(AWS_REGION ENVIRONMENT CLUSTER IMAGE_REPOSITORY EXECUTION_ROLE_ARN TASK_ROLE_ARN
  SECRETS_ARN_PREFIX API_HOSTNAME EMAIL_HOST EMAIL_HOST_USER DEFAULT_FROM_EMAIL VPC_CIDR
  PRIVATE_SUBNET_A PRIVATE_SUBNET_B API_SECURITY_GROUP)
for name in "${required[@]}"; do
  [ -n "${!name:-}" ] || fail "$name is required (see README, Deploying)"
done

IMAGE_TAG=${IMAGE_TAG:-$(git -C "$project" rev-parse --short=12 HEAD 2>/dev/null || true)}
[ -n "$IMAGE_TAG" ] || fail "IMAGE_TAG is required outside a git checkout"
case "$IMAGE_TAG" in latest|*:*) fail "IMAGE_TAG must be immutable (a commit), not '$IMAGE_TAG'";; esac
export IMAGE="$IMAGE_REPOSITORY:$IMAGE_TAG"
aws=(aws --region "$AWS_REGION" --output json)

step="offline checks"
"$python" "$here/ecs_rules.py" >/dev/null || fail "docker/ecs_rules.py found problems: run it to see them"

step="build and push $IMAGE"
if [ "${SKIP_BUILD:-0}" != "1" ]; then
  registry=${IMAGE_REPOSITORY%%/*}
  "${aws[@]}" ecr get-login-password | docker login --username AWS --password-stdin "$registry"
  docker build --file "$project/docker/Dockerfile" --tag "$IMAGE" "$project"
  docker push "$IMAGE"
fi

render() { "$python" "$here/ecs_rules.py" render "$1"; }
register() {
  "${aws[@]}" ecs register-task-definition --cli-input-json "$(render "$1")" \
    --query 'taskDefinition.taskDefinitionArn' --output text
}

step="register task definitions"
api_arn=$(register taskdef-api.json)
worker_arn=$(register taskdef-worker.json)
migrate_arn=$(register taskdef-migrate.json)
say "registered $api_arn, $worker_arn, $migrate_arn"

step="run migrations ($migrate_arn)"
network="awsvpcConfiguration={subnets=[$PRIVATE_SUBNET_A,$PRIVATE_SUBNET_B],securityGroups=[$API_SECURITY_GROUP],assignPublicIp=DISABLED}"
task_arn=$("${aws[@]}" ecs run-task --cluster "$CLUSTER" --task-definition "$migrate_arn" \
  --launch-type FARGATE --network-configuration "$network" \
  --query 'tasks[0].taskArn' --output text)
[ -n "$task_arn" ] && [ "$task_arn" != "None" ] || fail "the migrate task did not start"
deadline=$(( $(date +%s) + ${MIGRATE_TIMEOUT:-600} ))
while :; do
  status=$("${aws[@]}" ecs describe-tasks --cluster "$CLUSTER" --tasks "$task_arn" \
    --query 'tasks[0].lastStatus' --output text)
  [ "$status" = "STOPPED" ] && break
  [ "$(date +%s)" -lt "$deadline" ] || fail "migrations still $status after ${MIGRATE_TIMEOUT:-600}s"
  sleep "${MIGRATE_POLL_SECONDS:-5}"
done
exit_code=$("${aws[@]}" ecs describe-tasks --cluster "$CLUSTER" --tasks "$task_arn" \
  --query 'tasks[0].containers[0].exitCode' --output text)
[ "$exit_code" = "0" ] || fail "migrations failed (exit code $exit_code): services left unchanged"
say "migrations applied"

step="update services"
"${aws[@]}" ecs update-service --cluster "$CLUSTER" --service "fastship-api-$ENVIRONMENT" \
  --task-definition "$api_arn" --enable-execute-command >/dev/null
"${aws[@]}" ecs update-service --cluster "$CLUSTER" --service "fastship-worker-$ENVIRONMENT" \
  --task-definition "$worker_arn" --enable-execute-command >/dev/null

step="wait for the services to be stable"
if [ "${WAIT_STABLE:-1}" = "0" ]; then
  say "services updated; not waiting for stability (WAIT_STABLE=0)"
else
  "${aws[@]}" ecs wait services-stable --cluster "$CLUSTER" \
    --services "fastship-api-$ENVIRONMENT" "fastship-worker-$ENVIRONMENT"
fi
say "deployed $IMAGE"
