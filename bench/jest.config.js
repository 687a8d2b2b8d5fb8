module.exports = { ...require('../jest.preset.js'), testTimeout: 600_000 };
