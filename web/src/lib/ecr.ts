// ECR's "View push commands", for this wharf: the registry is the API endpoint's host, and
// `aws ecr get-login-password` needs the endpoint too.

export function registryHost(repositoryUri: string): string {
  return repositoryUri.split("/")[0];
}

export function pushCommands(repositoryUri: string, region: string, endpoint: string): { title: string; command: string }[] {
  const host = registryHost(repositoryUri);
  const name = repositoryUri.slice(host.length + 1);
  const local = name.split("/").pop() ?? name;
  return [
    {
      title: "Retrieve an authentication token and authenticate your Docker client to your registry.",
      command: `aws ecr get-login-password --region ${region} --endpoint-url ${endpoint} | docker login --username AWS --password-stdin ${host}`,
    },
    { title: "Build your Docker image. You can skip this step if your image is already built.", command: `docker build -t ${local} .` },
    { title: "Tag your image so you can push it to this repository.", command: `docker tag ${local}:latest ${repositoryUri}:latest` },
    { title: "Push this image to your repository.", command: `docker push ${repositoryUri}:latest` },
  ];
}
