#!/usr/bin/env bash
# Deploy FastShip to AWS from docker/cloudformation/.
#
#   docker/deploy.sh network   the network stack (once, and when network.yaml changes)
#   docker/deploy.sh data      the data stack (once, and when data.yaml changes)
#   docker/deploy.sh [release] image → application stack with the new image for
#                              the migrate task only → migrations → application
#                              stack with the new image for the services
#
# Each stack is created or updated and waited for (a stack with nothing to
# change is left alone; a failed update rolls its stack back). The services
# move to the new image only after its migrations ran and exited 0. A release
# never touches the network or the database. Stops at the first failure, naming
# the step. Honours AWS_ENDPOINT_URL (the suite deploys to moto's server).
#
# Required: AWS_REGION ENVIRONMENT.
# Stack parameters come from these variables; one left unset keeps the stack's
# current value (on the first deploy: the template's default, and CloudFormation
# names any parameter that has none). See docs/deploy.md.
#   network: EGRESS VPC_CIDR
#   data:    EMAIL_HOST_PASSWORD DATABASE_INSTANCE_CLASS DATABASE_MULTI_AZ
#            DELETION_PROTECTION
#   app:     CERTIFICATE_ARN API_HOSTNAME ALARM_EMAIL EMAIL_HOST EMAIL_HOST_USER
#            DEFAULT_FROM_EMAIL API_MIN_COUNT API_MAX_COUNT WORKER_COUNT
#            LOAD_BALANCER_DELETION_PROTECTION
# PYTHON (default python3) runs docker/ecs_rules.py and docker/stack_parameters.py
#   and needs cfn-lint: use
#   .venv/bin/python after `make install`.
# Optional (release): IMAGE_TAG (default: the git commit), SKIP_BUILD=1 (image
#   already pushed), MIGRATE_TIMEOUT (seconds, default 900), MIGRATE_POLL_SECONDS
#   (default 5).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/.." && pwd)
templates="$here/cloudformation"
python=${PYTHON:-python3}
step="start"
trap 'echo "deploy: FAILED at step: $step" >&2' ERR

fail() { echo "deploy: $*" >&2; exit 1; }
say() { echo "deploy: $*"; }

command=${1:-release}
case "$command" in network|data|release) ;; *) fail "usage: $0 [network|data|release]";; esac
for name in AWS_REGION ENVIRONMENT; do
  [ -n "${!name:-}" ] || fail "$name is required (see docs/deploy.md)"
done
IMAGE_TAG=${IMAGE_TAG:-$(git -C "$project" rev-parse --short=12 HEAD 2>/dev/null || true)}
[ -n "$IMAGE_TAG" ] || fail "IMAGE_TAG is required outside a git checkout"
case "$IMAGE_TAG" in latest|*:*) fail "IMAGE_TAG must be immutable (a commit), not '$IMAGE_TAG'";; esac
aws=(aws --region "$AWS_REGION" --output text)
prefix="fastship-$ENVIRONMENT"

# "Parameter=value" for each listed VARIABLE:Parameter whose variable is set.
overrides() {
  local pair variable
  for pair in "$@"; do
    variable=${pair%%:*}
    [ -n "${!variable:-}" ] && printf '%s=%s\n' "${pair#*:}" "${!variable}"
  done
  return 0
}

# stack template Key=value...: create the stack, or update it (unset parameters
# keep their values); "no updates" is success. On failure, say which resources
# failed and why (CloudFormation has rolled the stack back).
deploy_stack() {
  local stack=$1 template=$2 previous="" action=create result parameters
  shift 2
  if previous=$("${aws[@]}" cloudformation describe-stacks --stack-name "$stack" \
      --query 'Stacks[0].Parameters' --output json 2>/dev/null); then
    action=update
  fi
  parameters=$("$python" "$here/stack_parameters.py" "$templates/$template" "$previous" \
    "Environment=$ENVIRONMENT" "$@")
  if ! result=$("${aws[@]}" cloudformation "$action-stack" --stack-name "$stack" \
      --template-body "file://$templates/$template" --capabilities CAPABILITY_IAM \
      --parameters "$parameters" 2>&1); then
    case "$result" in *"No updates are to be performed"*) say "$stack: no changes"; return 0;; esac
    echo "$result" >&2
    return 1
  fi
  if ! "${aws[@]}" cloudformation wait "stack-$action-complete" --stack-name "$stack"; then
    "${aws[@]}" cloudformation describe-stack-events --stack-name "$stack" --max-items 20 \
      --query "StackEvents[?contains(ResourceStatus, 'FAILED')].[LogicalResourceId, ResourceStatusReason]" >&2 || true
    return 1
  fi
  say "$stack: ${action}d"
}

output() {  # stack OutputKey
  "${aws[@]}" cloudformation describe-stacks --stack-name "$1" \
    --query "Stacks[0].Outputs[?OutputKey=='$2'].OutputValue | [0]"
}

step="offline checks"
"$python" -c 'import sys; from cfnlint.runner import main; sys.argv[0] = "cfn-lint"; main()' \
  "$templates"/*.yaml || fail "cfn-lint found problems in docker/cloudformation/ (above)"
"$python" "$here/ecs_rules.py" >/dev/null || fail "docker/ecs_rules.py found problems: run it to see them"

if [ "$command" = network ]; then
  step="network stack"
  mapfile -t values < <(overrides EGRESS:Egress VPC_CIDR:VpcCidr)
  deploy_stack "$prefix-network" network.yaml "${values[@]}"
  say "network stack $prefix-network is up to date"
  exit 0
fi
if [ "$command" = data ]; then
  step="data stack"
  mapfile -t values < <(overrides EMAIL_HOST_PASSWORD:EmailHostPassword \
    DATABASE_INSTANCE_CLASS:DatabaseInstanceClass DATABASE_MULTI_AZ:DatabaseMultiAz \
    DELETION_PROTECTION:DeletionProtection)
  deploy_stack "$prefix-data" data.yaml "${values[@]}"
  say "data stack $prefix-data is up to date"
  exit 0
fi

step="find the network and data stacks"
for stack in network data; do
  "${aws[@]}" cloudformation describe-stacks --stack-name "$prefix-$stack" >/dev/null 2>&1 \
    || fail "no stack $prefix-$stack: run '$0 $stack' first (see docs/deploy.md)"
done
repository=$(output "$prefix-data" RepositoryUri)
image="$repository:$IMAGE_TAG"

step="build and push $image"
if [ "${SKIP_BUILD:-0}" != "1" ]; then
  "${aws[@]}" ecr get-login-password | docker login --username AWS --password-stdin "${repository%%/*}"
  docker build --file "$project/docker/Dockerfile" --tag "$image" \
    --build-arg "FASTSHIP_VERSION=$IMAGE_TAG" \
    --build-arg "FASTSHIP_COMMIT=$(git -C "$project" rev-parse HEAD 2>/dev/null || true)" \
    "$project"
  docker push "$image"
fi
"${aws[@]}" ecr describe-images --repository-name "${repository#*/}" \
  --image-ids "imageTag=$IMAGE_TAG" >/dev/null 2>&1 \
  || fail "$image is not in the repository: push it, or unset SKIP_BUILD"

mapfile -t app_values < <(overrides CERTIFICATE_ARN:CertificateArn API_HOSTNAME:ApiHostname \
  ALARM_EMAIL:AlarmEmail EMAIL_HOST:EmailHost EMAIL_HOST_USER:EmailHostUser \
  DEFAULT_FROM_EMAIL:DefaultFromEmail API_MIN_COUNT:ApiMinCount API_MAX_COUNT:ApiMaxCount \
  WORKER_COUNT:WorkerCount LOAD_BALANCER_DELETION_PROTECTION:LoadBalancerDeletionProtection)

step="application stack, phase 1: the migrate task gets $IMAGE_TAG"
serving=$("${aws[@]}" cloudformation describe-stacks --stack-name "$prefix-app" \
  --query "Stacks[0].Parameters[?ParameterKey=='ImageTag'].ParameterValue | [0]" 2>/dev/null || true)
[ "$serving" = "None" ] && serving=""
# The services keep the image they run (none on the first deploy).
deploy_stack "$prefix-app" app.yaml "${app_values[@]}" "ImageTag=$serving" "MigrateImageTag=$IMAGE_TAG"

step="run migrations"
migrate=$(output "$prefix-app" MigrateTaskDefinitionArn)
cluster=$(output "$prefix-app" ClusterName)
subnets=$(output "$prefix-network" PrivateSubnets)
group=$(output "$prefix-network" TaskSecurityGroup)
network="awsvpcConfiguration={subnets=[$subnets],securityGroups=[$group],assignPublicIp=DISABLED}"
task=$("${aws[@]}" ecs run-task --cluster "$cluster" --task-definition "$migrate" \
  --launch-type FARGATE --network-configuration "$network" --query 'tasks[0].taskArn')
[ -n "$task" ] && [ "$task" != "None" ] || fail "the migrate task did not start"
deadline=$(( $(date +%s) + ${MIGRATE_TIMEOUT:-900} ))
while :; do
  status=$("${aws[@]}" ecs describe-tasks --cluster "$cluster" --tasks "$task" --query 'tasks[0].lastStatus')
  [ "$status" = "STOPPED" ] && break
  [ "$(date +%s)" -lt "$deadline" ] || fail "migrations still $status after ${MIGRATE_TIMEOUT:-900}s"
  sleep "${MIGRATE_POLL_SECONDS:-5}"
done
exit_code=$("${aws[@]}" ecs describe-tasks --cluster "$cluster" --tasks "$task" \
  --query 'tasks[0].containers[0].exitCode')
[ "$exit_code" = "0" ] || fail "migrations failed (exit code $exit_code): the services still run ${serving:-nothing}"
say "migrations applied"

step="application stack, phase 2: the services roll to $IMAGE_TAG"
# CloudFormation waits until the services are stable; the circuit breaker rolls
# a failing image back and the stack with it.
deploy_stack "$prefix-app" app.yaml "ImageTag=$IMAGE_TAG" "MigrateImageTag=$IMAGE_TAG"
say "deployed $image; point ${API_HOSTNAME:-the API host name} at $(output "$prefix-app" LoadBalancerDnsName)"
