import base, { browserTypeImportsOnly } from '../../eslint.config.mjs';

export default [...base, { files: ['src/**/*.ts'], ...browserTypeImportsOnly }];
