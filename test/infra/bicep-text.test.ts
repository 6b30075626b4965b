import { allowedParamMistakes, BicepFile, literalMembers, splitTernary } from './bicep-text';

/** The reader's check of @allowed parameters, against the two mistakes that once stopped `azd up`. */

const target = new BicepFile(
  'module.bicep',
  `@allowed([512, 2048, 4096])
param instanceMemoryMB int = 512
@description('who')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'
param free string
`,
);

const caller = (declarations: string) => new BicepFile('caller.bicep', declarations);

describe('infrastructure text reader: parameters declared with @allowed', () => {
  it('GIVEN int(...) passed to a 512 | 2048 | 4096 parameter WHEN checked THEN it is refused as a plain int', () => {
    const file = caller(`@allowed(['', '512', '2048', '4096'])\nparam memory string = ''\n`);
    const mistakes = allowedParamMistakes(
      file,
      new Map([['instanceMemoryMB', "int(empty(memory) ? '2048' : memory)"]]),
      target,
    );
    expect(mistakes).toEqual([
      expect.objectContaining({ param: 'instanceMemoryMB', problem: 'int(...) returns a plain type' }),
    ]);
  });

  it("GIVEN empty(x) ? 'User' : x with x allowing '' WHEN checked THEN the '' member is refused (no narrowing after empty())", () => {
    const file = caller(
      `@allowed(['', 'User', 'ServicePrincipal'])\nparam principalType string = ''\nvar resolved = empty(principalType) ? 'User' : principalType\n`,
    );
    expect(allowedParamMistakes(file, new Map([['principalType', 'resolved']]), target)).toEqual([
      expect.objectContaining({ param: 'principalType', problem: "'' not in ['User', 'ServicePrincipal']" }),
    ]);
  });

  it('GIVEN literal branches, a narrower parameter or a plain parameter for a free one WHEN checked THEN nothing is refused', () => {
    const file = caller(
      `@allowed(['User'])\nparam onlyUser string = 'User'\nparam anything string\nvar resolved = anything == 'ServicePrincipal' ? 'ServicePrincipal' : onlyUser\n`,
    );
    const passed = new Map([
      ['instanceMemoryMB', "anything == '4096' ? 4096 : (anything == '2048' ? 2048 : 512)"],
      ['principalType', 'resolved'],
      ['free', 'anything'],
    ]);
    expect(allowedParamMistakes(file, passed, target)).toEqual([]);
  });

  it('GIVEN a literal outside the list, a string where an int is allowed, or an interpolation WHEN checked THEN each is refused', () => {
    const file = caller('param name string\n');
    const check = (value: string) =>
      allowedParamMistakes(file, new Map([['instanceMemoryMB', value]]), target).map((m) => m.problem);
    expect(check('1024')).toEqual(['1024 not in [512, 2048, 4096]']);
    expect(check("'512'")).toEqual(["'512' not in [512, 2048, 4096]"]);
    expect(check("'${name}'")).toEqual(["'${name}' is an interpolated string (type string)"]);
    expect(check('name')).toEqual(["parameter 'name' has no @allowed list (a plain type)"]);
  });

  it('GIVEN nested ternaries, coalescing and strings holding ? or : WHEN split THEN only the top-level ternary splits', () => {
    expect(splitTernary("a ? 'x ? y' : (b ? 1 : 2)")).toEqual(['a', "'x ? y'", '(b ? 1 : 2)']);
    expect(splitTernary('a ? b ? 1 : 2 : 3')).toEqual(['a', 'b ? 1 : 2', '3']);
    expect(splitTernary('x.?y ?? z')).toBeUndefined();
    expect(literalMembers("c ? 'a' : (d ? 'b' : 'a')", caller(''))).toEqual({ members: ["'a'", "'b'"] });
  });
});
