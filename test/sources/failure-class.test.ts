import { GraphError } from '@microsoft/microsoft-graph-client';
import { ExchangeApiError } from '../../lib/sources/exchange/admin-api';
import { classifyFailure, permissionGap } from '../../lib/sources/failure-class';

const exchange = (
  kind: ConstructorParameters<typeof ExchangeApiError>[1]['kind'],
  status?: number,
  cause?: unknown,
) =>
  new ExchangeApiError(`Exchange said no (${kind})`, {
    kind,
    status,
    cmdlet: 'Get-QuarantineMessage',
    cause,
  });

/** @azure/identity's AuthenticationError as it reaches the app: Entra's codes in `errorResponse`. */
const entra = (codes: number[], description: string) =>
  Object.assign(new Error(`invalid_client: ${description}`), {
    name: 'AuthenticationError',
    statusCode: 400,
    errorResponse: { error: 'invalid_client', errorDescription: description, errorCodes: codes },
  });

describe('which grant a permission failure lacks', () => {
  it.each([
    ['Exchange 403 (no directory role)', exchange('missing-directory-role', 403), 'directory-role'],
    ['Exchange 401 (no Exchange.ManageAsApp)', exchange('missing-app-role', 401), 'consent'],
    ['Entra 7000229 (service principal gone)', entra([7000229], 'AADSTS7000229: …'), 'consent'],
    ['Entra 65001 (consent missing)', entra([65001], 'AADSTS65001: …'), 'consent'],
    [
      'Entra 700016 in the text only, wrapped by Exchange as a network failure',
      exchange(
        'network',
        undefined,
        new Error("AADSTS700016: Application with identifier 'x' was not found"),
      ),
      'consent',
    ],
    ['Graph 403', new GraphError(403, 'Insufficient privileges'), 'consent'],
    [
      'Table Storage 403 (the deployment’s role)',
      Object.assign(new Error('denied'), { statusCode: 403 }),
      undefined,
    ],
    [
      "Entra 700213 (the assertion's subject matches no federated credential)",
      entra([700213], 'AADSTS700213: …'),
      'federated-credential',
    ],
    [
      'Entra 70021 in the text only, wrapped by Exchange as a network failure',
      exchange('network', undefined, new Error('AADSTS70021: No matching federated identity record found')),
      'federated-credential',
    ],
    ['Entra 7000215 (a wrong secret, not consent)', entra([7000215], 'AADSTS7000215: …'), undefined],
    ['Exchange 503', exchange('unavailable', 503), undefined],
  ])('GIVEN %s THEN the gap is %s', (_case, error, expected) => {
    expect(permissionGap(error)).toBe(expected);
  });

  it('GIVEN an Entra consent refusal wrapped as an Exchange network failure THEN its class is permission, not service', () => {
    const wrapped = exchange('network', undefined, entra([700016], 'AADSTS700016: …'));
    expect(classifyFailure(wrapped)).toBe('permission');
    expect(classifyFailure(exchange('network'))).toBe('service');
  });
});
