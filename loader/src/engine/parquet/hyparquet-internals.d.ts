// hyparquet exports its page-level readers under `hyparquet/src/*.js` (package.json
// "exports"), with types under types/; the project's node10 module resolution does not read
// "exports", so these declarations point the three modules used here at those types.
declare module 'hyparquet/src/column.js' {
  export * from 'hyparquet/types/column';
}
declare module 'hyparquet/src/convert.js' {
  export * from 'hyparquet/types/convert';
}
declare module 'hyparquet/src/schema.js' {
  export * from 'hyparquet/types/schema';
}
declare module 'hyparquet/src/datapage.js' {
  export * from 'hyparquet/types/datapage';
}
declare module 'hyparquet/src/encoding.js' {
  export * from 'hyparquet/types/encoding';
}
