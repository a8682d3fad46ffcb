import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ImageSigner, IMAGE_PATH } from '../../src/images/sign.js'

const signer = new ImageSigner('a secret of the server')

describe('ImageSigner', () => {
  it('opens what it signed, with the source and the Referer, for any image address', () => {
    fc.assert(
      fc.property(fc.webUrl(), fc.option(fc.webUrl(), { nil: undefined }), fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/), (url, referer, sourceId) => {
        const path = signer.path({ url, referer, sourceId })
        expect(path.startsWith(IMAGE_PATH)).toBe(true)
        const [mac, payload] = path.slice(IMAGE_PATH.length).split('/')
        expect(mac).toMatch(/^[A-Za-z0-9_-]{22}$/)
        expect(signer.open(mac, payload)).toEqual({ url, referer, sourceId })
      }),
    )
  })

  it('refuses another key, a changed MAC, a changed payload, and garbage', () => {
    const [mac, payload] = signer.path({ url: 'https://www.ankang.gov.cn/Upload/2024/09/19/a.jpg', sourceId: 'ankang' }).slice(IMAGE_PATH.length).split('/')
    expect(new ImageSigner('another secret').open(mac, payload)).toBeUndefined()
    expect(signer.open(`${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, payload)).toBeUndefined()
    const other = Buffer.from(JSON.stringify(['ankang', 'http://169.254.169.254/', ''])).toString('base64url')
    expect(signer.open(mac, other)).toBeUndefined()
    expect(signer.open('', payload)).toBeUndefined()
    expect(signer.open(mac.slice(0, 10), payload)).toBeUndefined()
  })
})
