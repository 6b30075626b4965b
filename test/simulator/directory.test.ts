import { ManualClock } from '../../lib/core/clock';
import type { Simulator } from '../../lib/simulator';
import { bearer, call, credentialFor, startTestSimulator, tokenFor } from '../support/simulator';

const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const EXCHANGE_APP_ID = '00000002-0000-0ff1-ce00-000000000000';
const SECURITY_READER = '5d6b6bb7-de71-4623-b4af-96380a352509';
const NONE = {
  exchangeManageAsApp: false,
  securityReader: false,
  auditLogsQuery: false,
  domainRead: false,
  mailSend: false,
  mailboxSettingsRead: false,
};

describe('simulated directory (service principals, app role and directory role assignments)', () => {
  let sim: Simulator;
  let admin: string;
  let app: string;

  const graph = (path: string, token: string, init: RequestInit = {}) =>
    call(`${sim.urls.graph}/v1.0${path}`, {
      ...init,
      headers: { ...bearer(token), 'content-type': 'application/json', ...(init.headers as object) },
    });
  const post = (path: string, token: string, body: unknown) =>
    graph(path, token, { method: 'POST', body: JSON.stringify(body) });
  const spOf = async (appId: string) =>
    (await graph(`/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${appId}'`)}`, admin)).json
      .value[0];

  beforeAll(async () => {
    sim = await startTestSimulator({ clock: new ManualClock('2026-03-02T12:00:00Z') });
    admin = (
      await credentialFor(sim, { clientId: sim.adminClientId, secret: sim.adminClientSecret }).getToken(
        `${sim.urls.graph}/.default`,
      )
    ).token;
    app = await tokenFor(sim, 'graph');
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.scenario.setPermissions(NONE);
    sim.scenario.setAdminRights({ appRoles: true, directoryRoles: true });
  });

  it('GIVEN a filter on appId THEN the resource service principal comes with its appRoles, and $select trims it', async () => {
    const res = await graph(
      `/servicePrincipals?$filter=${encodeURIComponent(`appId eq '${EXCHANGE_APP_ID}'`)}&$select=id,appId,appRoles`,
      admin,
    );
    expect(res.status).toBe(200);
    expect(res.json['@odata.context']).toBe(
      `${sim.urls.graph}/v1.0/$metadata#servicePrincipals(id,appId,appRoles)`,
    );
    expect(res.json.value).toHaveLength(1);
    expect(Object.keys(res.json.value[0]).sort()).toEqual(['appId', 'appRoles', 'id']);
    expect(res.json.value[0].appRoles).toContainEqual(
      expect.objectContaining({ value: 'Exchange.ManageAsApp', allowedMemberTypes: ['Application'] }),
    );
  });

  it('GIVEN an unknown principal THEN 404 Request_ResourceNotFound, as Graph words it', async () => {
    const id = '11111111-2222-4333-8444-555555555555';
    const res = await graph(`/servicePrincipals/${id}`, admin);
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('Request_ResourceNotFound');
    expect(res.json.error.message).toBe(
      `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
    );
    expect(res.json.error.innerError['request-id']).toBeDefined();
  });

  it('GIVEN the app grants itself THEN 403 Authorization_RequestDenied (it holds no directory rights)', async () => {
    const graphSp = await spOf(GRAPH_APP_ID);
    const res = await post(`/servicePrincipals/${graphSp.id}/appRoleAssignedTo`, app, {
      principalId: sim.appPrincipalId,
      resourceId: graphSp.id,
      appRoleId: '5e1e9171-754d-478c-812c-f1755a9a4c2d',
    });
    expect(res.status).toBe(403);
    expect(res.json.error).toMatchObject({
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
    });
    expect((await graph(`/servicePrincipals/${sim.appPrincipalId}`, app)).status).toBe(403);
  });

  it('GIVEN an admin grants Exchange.ManageAsApp THEN 201 with the assignment, the flag flips, and a second grant is 400', async () => {
    const exchange = await spOf(EXCHANGE_APP_ID);
    const role = exchange.appRoles.find((r: { value: string }) => r.value === 'Exchange.ManageAsApp');
    const body = { principalId: sim.appPrincipalId, resourceId: exchange.id, appRoleId: role.id };
    const res = await post(`/servicePrincipals/${exchange.id}/appRoleAssignedTo`, admin, body);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      '@odata.context': `${sim.urls.graph}/v1.0/$metadata#servicePrincipals('${exchange.id}')/appRoleAssignedTo/$entity`,
      appRoleId: role.id,
      principalId: sim.appPrincipalId,
      principalType: 'ServicePrincipal',
      resourceDisplayName: 'Office 365 Exchange Online',
      resourceId: exchange.id,
      deletedDateTime: null,
    });
    expect(res.json.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sim.scenario.permissions()).toMatchObject({ exchangeManageAsApp: true, securityReader: false });

    const again = await post(`/servicePrincipals/${sim.appPrincipalId}/appRoleAssignments`, admin, body);
    expect(again.status).toBe(400);
    expect(again.json.error).toMatchObject({
      code: 'Request_BadRequest',
      message: 'Permission being assigned already exists on the object.',
    });

    const listed = await graph(`/servicePrincipals/${sim.appPrincipalId}/appRoleAssignments`, admin);
    expect(listed.json.value).toEqual([
      expect.objectContaining({ appRoleId: role.id, resourceId: exchange.id }),
    ]);
    const onResource = await graph(`/servicePrincipals/${exchange.id}/appRoleAssignedTo`, admin);
    expect(onResource.json.value.map((a: { principalId: string }) => a.principalId)).toEqual([
      sim.appPrincipalId,
    ]);
  });

  it('GIVEN an app role id the resource does not offer, or an unknown principal THEN 400 and 404', async () => {
    const graphSp = await spOf(GRAPH_APP_ID);
    const wrongRole = await post(`/servicePrincipals/${graphSp.id}/appRoleAssignedTo`, admin, {
      principalId: sim.appPrincipalId,
      resourceId: graphSp.id,
      appRoleId: '00000000-0000-4000-8000-000000000000',
    });
    expect(wrongRole.status).toBe(400);
    expect(wrongRole.json.error.message).toBe(
      `Permission being assigned was not found on application '${GRAPH_APP_ID}'.`,
    );
    const stranger = await post(`/servicePrincipals/${graphSp.id}/appRoleAssignedTo`, admin, {
      principalId: '99999999-0000-4000-8000-000000000000',
      resourceId: graphSp.id,
      appRoleId: '5e1e9171-754d-478c-812c-f1755a9a4c2d',
    });
    expect(stranger.status).toBe(404);
    expect(stranger.json.error.code).toBe('Request_ResourceNotFound');
  });

  it('GIVEN an admin assigns Security Reader THEN it is listed by principalId, Exchange reads quarantine, and a duplicate is a conflict', async () => {
    const body = {
      '@odata.type': '#microsoft.graph.unifiedRoleAssignment',
      roleDefinitionId: SECURITY_READER,
      principalId: sim.appPrincipalId,
      directoryScopeId: '/',
    };
    const res = await post('/roleManagement/directory/roleAssignments', admin, body);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      '@odata.context': `${sim.urls.graph}/v1.0/$metadata#roleManagement/directory/roleAssignments/$entity`,
      roleDefinitionId: SECURITY_READER,
      principalId: sim.appPrincipalId,
      directoryScopeId: '/',
    });
    expect(sim.scenario.permissions().securityReader).toBe(true);

    const filter = encodeURIComponent(
      `principalId eq '${sim.appPrincipalId}' and roleDefinitionId eq '${SECURITY_READER}'`,
    );
    const listed = await graph(`/roleManagement/directory/roleAssignments?$filter=${filter}`, admin);
    expect(listed.json.value).toHaveLength(1);

    const again = await post('/roleManagement/directory/roleAssignments', admin, body);
    expect(again.status).toBe(400);
    expect(again.json.error).toMatchObject({
      code: 'Request_BadRequest',
      message:
        'A conflicting object with one or more of the specified property values is present in the directory.',
    });
  });

  it('GIVEN an admin without Privileged Role Administrator THEN the role assignment is 403, reads still work', async () => {
    sim.scenario.setAdminRights({ directoryRoles: false });
    const res = await post('/roleManagement/directory/roleAssignments', admin, {
      roleDefinitionId: SECURITY_READER,
      principalId: sim.appPrincipalId,
      directoryScopeId: '/',
    });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('Authorization_RequestDenied');
    expect((await graph('/roleManagement/directory/roleAssignments', admin)).status).toBe(200);
  });

  it('GIVEN setPermissions THEN the directory holds the matching assignments (one permission model)', async () => {
    sim.scenario.setPermissions({ auditLogsQuery: true, securityReader: true });
    const dir = sim.scenario.directory();
    expect(dir.roleAssignments).toEqual([
      expect.objectContaining({ principalId: sim.appPrincipalId, roleDefinitionId: SECURITY_READER }),
    ]);
    expect(dir.appRoleAssignments.map((a) => a.appRoleId)).toEqual(['5e1e9171-754d-478c-812c-f1755a9a4c2d']);
    sim.scenario.setPermissions({ securityReader: false });
    expect(sim.scenario.directory().roleAssignments).toEqual([]);
  });

  it('GIVEN an unsupported $filter THEN 400 Request_UnsupportedQuery', async () => {
    const res = await graph(
      `/servicePrincipals?$filter=${encodeURIComponent("startswith(displayName,'Micro')")}`,
      admin,
    );
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('Request_UnsupportedQuery');
  });
});
