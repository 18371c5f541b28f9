/** The part of seek-bzip (MIT, pure JavaScript, no types of its own) that packet-reader.ts uses. */
declare module 'seek-bzip' {
  interface InputStream { readByte(): number; read(buffer: Uint8Array, offset: number, length: number): number; seek(position: number): void; eof(): boolean }
  interface OutputStream { writeByte(byte: number): void }
  const Bunzip: {
    /** Decodes a whole bzip2 stream from `input` into `output`; throws on corrupt data. */
    decode(input: InputStream, output: OutputStream, multistream?: boolean): void;
  };
  export default Bunzip;
}
