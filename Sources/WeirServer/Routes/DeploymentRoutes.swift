import Hummingbird
import WeirModels
import WeirStore

/// `/deployments`: upsert, read, and create a flow run from a deployment.
struct DeploymentRoutes {
    let store: Store
    let settings: Settings

    func register(on api: RouterGroup<WeirContext>) {
        api.post("deployments/") { request, _ in
            var request = request
            var body = try await RequestBody.read(&request, limits: settings.limits)
            body.json = DeploymentCreate.settingParameters(body.json)
            let create = try body.model(DeploymentCreate.read)
            let creator = try automationCreator(request)
            let (deployment, created) = try await store.deployments.upsert(create, createdBy: creator, updatedBy: creator)
            return jsonResponse(deployment, status: created ? .created : .ok)
        }
        api.post("deployments/filter") { request, _ in
            var request = request
            let query = try await RequestBody.read(&request, limits: settings.limits).query {
                try ReadDeploymentsQuery.read($0, defaultLimit: settings.defaultLimit)
            }
            return jsonResponse(try await store.deployments.filter(query))
        }
        api.get("deployments/name/:flow/:deployment") { _, context in
            guard
                let d = try await store.deployments.get(
                    flowName: try context.parameters.string("flow"),
                    name: try context.parameters.string("deployment")
                )
            else {
                throw DetailError(status: .notFound, detail: "Deployment not found")
            }
            return jsonResponse(d)
        }
        api.get("deployments/:id") { _, context in
            guard let d = try await store.deployments.get(try context.parameters.uuid("id")) else {
                throw DetailError(status: .notFound, detail: "Deployment not found")
            }
            return jsonResponse(d)
        }
        api.post("deployments/:id/create_flow_run") { request, context in
            let id = try context.parameters.uuid("id")
            var request = request
            let body = try await RequestBody.read(&request, limits: settings.limits)
            let create: FlowRunCreate
            if body.json == nil {
                create = FlowRunCreate()
            } else {
                create = try body.model { FlowRunCreate.read($0, forDeployment: true) }
            }
            let (run, created) = try await store.deployments.createFlowRun(id, create, createdBy: try automationCreator(request))
            return jsonResponse(FlowRunRoutes.encode(run), status: created ? .created : .ok)
        }
    }
}
